package pluginapi

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLineWriterLogsWholeLines(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	w := &LineWriter{Logger: logger, Level: slog.LevelWarn, Msg: "plugin stderr"}
	for _, part := range []string{"first ha", "lf\r\n\nsecond\n", "no end yet"} {
		if n, err := w.Write([]byte(part)); n != len(part) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", part, n, err)
		}
	}
	want := "level=WARN msg=\"plugin stderr\" line=\"first half\"\nlevel=WARN msg=\"plugin stderr\" line=second\n"
	if out.String() != want {
		t.Fatalf("logged %q, want %q (the empty line dropped, the partial one held)", out.String(), want)
	}

	out.Reset()
	plain := &LineWriter{Logger: logger, Level: slog.LevelInfo}
	long := strings.Repeat("x", maxLogLine+10)
	_, _ = plain.Write([]byte(long))
	if got := strings.Count(out.String(), "\n"); got != 1 || len(plain.buf) != 10 {
		t.Fatalf("a line past %d bytes: %d records, %d bytes held; want 1 record, 10 held", maxLogLine, got, len(plain.buf))
	}
	if !strings.HasPrefix(out.String(), "level=INFO msg=xxx") {
		t.Fatalf("without Msg the line is the message: %q", out.String()[:40])
	}
}
