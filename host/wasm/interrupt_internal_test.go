package wasm

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// loopModule is (module (memory 1) (func (export "f") (loop (br 0)))) in the binary format, as
// wat2wasm writes it.
var loopModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
	0x03, 0x02, 0x01, 0x00, // func 0: type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
	0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00, // export "f" func 0
	0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // code: loop br 0 end end
}

func TestInstrumentInterruptStopsALoop(t *testing.T) {
	out, err := instrumentInterrupt(loopModule)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, out)
	if err != nil {
		t.Fatalf("instrumented module does not instantiate: %v", err)
	}
	g, ok := mod.ExportedGlobal(interruptExport).(api.MutableGlobal)
	if !ok {
		t.Fatal("no mutable kapi_interrupt global exported")
	}
	g.Set(1) // set before the call: the first check traps, so the test cannot hang
	if _, err := mod.ExportedFunction("f").Call(ctx); err == nil {
		t.Fatal("the loop ran on with the interrupt set")
	}
}

func FuzzInstrumentInterrupt(f *testing.F) {
	f.Add(loopModule)
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, bin []byte) {
		out, err := instrumentInterrupt(bin) // must not panic on any input
		if err == nil && len(out) < 8 {
			t.Fatalf("accepted %x and gave %x", bin, out)
		}
	})
}
