package process

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/kapi-dev/kapi/abi"
)

// TestBytesIsBytesValue pins the claim the package doc makes: the contract's message
// Bytes { bytes data = 1; } is, on the wire, field 1 length-delimited, which is what
// wrapperspb.BytesValue encodes.
func TestBytesIsBytesValue(t *testing.T) {
	got, err := proto.Marshal(wrapperspb.Bytes([]byte("{}")))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x0a, 0x02, '{', '}'} // tag (field 1, wire type 2), length 2, data
	if !bytes.Equal(got, want) {
		t.Fatalf("BytesValue encodes as % x, want % x", got, want)
	}
}

func TestProvisionEncoding(t *testing.T) {
	b := EncodeProvision(0x01020304, []byte(`{"a":1}`))
	if want := append([]byte{4, 3, 2, 1}, `{"a":1}`...); !bytes.Equal(b, want) {
		t.Fatalf("EncodeProvision = % x, want % x", b, want)
	}
	id, config, err := DecodeProvision(b)
	if err != nil || id != 0x01020304 || string(config) != `{"a":1}` {
		t.Fatalf("DecodeProvision = %#x, %q, %v", id, config, err)
	}
	if _, _, err := DecodeProvision([]byte{1, 2, 3}); err == nil {
		t.Fatal("a 3-byte provision request decoded")
	}
}

func TestLogAndNowEncoding(t *testing.T) {
	b := EncodeLog(abi.LogWarn, "héllo")
	if b[0] != 2 || string(b[1:]) != "héllo" {
		t.Fatalf("EncodeLog = % x", b)
	}
	level, msg, err := DecodeLog(b)
	if err != nil || level != abi.LogWarn || msg != "héllo" {
		t.Fatalf("DecodeLog = %v, %q, %v", level, msg, err)
	}
	if _, _, err := DecodeLog(nil); err == nil {
		t.Fatal("an empty log request decoded")
	}
	now := time.Unix(1700000000, 123456789)
	nb := EncodeNow(now)
	if !bytes.Equal(nb, []byte{0x15, 0xcd, 0x85, 0x3d, 0xfe, 0x9c, 0x97, 0x17}) {
		t.Fatalf("EncodeNow = % x", nb)
	}
	if got, err := DecodeNow(nb); err != nil || !got.Equal(now) {
		t.Fatalf("DecodeNow = %v, %v", got, err)
	}
	if _, err := DecodeNow(nb[:7]); err == nil {
		t.Fatal("a 7-byte now answer decoded")
	}
}

func TestHostErrorStatusRoundTrip(t *testing.T) {
	tests := []struct {
		code abi.HostErrorCode
		grpc codes.Code
	}{
		{abi.HostErrNotFound, codes.NotFound},
		{abi.HostErrNotPermitted, codes.PermissionDenied},
		{abi.HostErrBadRequest, codes.InvalidArgument},
		{abi.HostErrInternal, codes.Internal},
	}
	for _, tc := range tests {
		err := HostErrorStatus(&abi.HostError{Code: tc.code, Message: "m"})
		if st, _ := status.FromError(err); st.Code() != tc.grpc || st.Message() != "m" {
			t.Errorf("code %d travels as %v %q, want %v", tc.code, st.Code(), st.Message(), tc.grpc)
		}
		back := StatusHostError(err)
		if back.Code != tc.code || back.Message != "m" {
			t.Errorf("code %d comes back as %d %q", tc.code, back.Code, back.Message)
		}
	}
	if !errors.Is(StatusHostError(status.Error(codes.NotFound, "x")), abi.ErrNotFound) {
		t.Error("a NotFound status is not abi.ErrNotFound")
	}
	if got := StatusHostError(errors.New("plain")); got.Code != abi.HostErrInternal {
		t.Errorf("a non-status error is code %d, want internal", got.Code)
	}
}
