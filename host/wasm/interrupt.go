package wasm

import (
	"bytes"
	"errors"
	"fmt"
)

// interruptExport is the name of the global instrumentInterrupt adds. The host sets it to 1 when
// a call's deadline passes; the guest then traps at its next loop head.
const interruptExport = "kapi_interrupt"

// errUnsupported means the module uses instructions the instrumenter does not know; the runtime
// then stops runaway guests with wazero's WithCloseOnContextDone instead (slower, see doc.go).
var errUnsupported = errors.New("instruction not supported by the interrupt instrumenter")

// yieldEvery is how many loop iterations (in one function invocation) pass between two checks
// of the interrupt; a power of two, as the check masks a counter.
const yieldEvery = 1 << 16

// instrumentInterrupt returns a copy of a binary module with one more global, a mutable i32
// exported as kapi_interrupt, one more i32 local $n in every function, and at the head of every
// loop
//
//	local.get $n  i32.const 1  i32.add  local.tee $n
//	i32.const yieldEvery-1  i32.and  i32.eqz
//	if
//	  global.get $kapi_interrupt  if unreachable end   ;; stop when told
//	  i32.const 0  memory.grow  drop                  ;; yield to Go
//	end
//
// Every infinite loop passes a loop head, so setting the global stops any guest within
// yieldEvery iterations. The counter is a local, which the compiler keeps in a register, so the
// common path costs an add, an and and a branch; a global counter cost a Go guest half again its
// time. The yield matters as much as the check: machine code compiled by wazero cannot be
// preempted by Go, so a guest that never leaves it would hold off a stop-the-world garbage
// collection, and with it the very goroutine that is to set the interrupt. memory.grow with a
// delta of 0 changes nothing but is carried out by Go code, where the goroutine can be preempted.
func instrumentInterrupt(bin []byte) ([]byte, error) {
	r := &reader{b: bin}
	if !bytes.HasPrefix(bin, []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, errors.New("not a WebAssembly 1 binary module")
	}
	r.pos = 8
	type section struct {
		id   byte
		body []byte
	}
	var sections []section
	for r.pos < len(bin) {
		id := r.byte()
		size := r.u32()
		body := r.bytes(int(size))
		if r.err != nil {
			return nil, r.err
		}
		sections = append(sections, section{id, body})
	}

	importedGlobals, definedGlobals := uint32(0), uint32(0)
	hasMemory := false
	var typeParams, funcTypes []uint32 // params per type; type per defined function
	for _, s := range sections {
		switch s.id {
		case 1:
			var err error
			if typeParams, err = paramCounts(s.body); err != nil {
				return nil, fmt.Errorf("type section: %w", err)
			}
		case 3:
			r := &reader{b: s.body}
			for n := r.u32(); n > 0 && r.err == nil; n-- {
				funcTypes = append(funcTypes, r.u32())
			}
			if r.err != nil {
				return nil, r.err
			}
		case 2:
			n, memories, err := countImports(s.body)
			if err != nil {
				return nil, fmt.Errorf("import section: %w", err)
			}
			importedGlobals = n
			hasMemory = hasMemory || memories > 0
		case 5:
			hasMemory = hasMemory || (&reader{b: s.body}).u32() > 0
		case 6:
			definedGlobals = (&reader{b: s.body}).u32()
		}
	}
	if !hasMemory {
		return nil, fmt.Errorf("module has no memory for the yield: %w", errUnsupported)
	}
	index := importedGlobals + definedGlobals         // $kapi_interrupt
	newGlobal := []byte{0x7f, 0x01, 0x41, 0x00, 0x0b} // i32, mutable, i32.const 0, end
	params := make([]uint32, len(funcTypes))
	for i, t := range funcTypes {
		if int(t) >= len(typeParams) {
			return nil, fmt.Errorf("function %d has type %d of %d", i, t, len(typeParams))
		}
		params[i] = typeParams[t]
	}

	out := append([]byte(nil), bin[:8]...)
	emit := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	globalDone, exportDone, codeDone := false, false, false
	for _, s := range sections {
		// The global section comes after type, import, function, table, memory and tag.
		if !globalDone && (s.id >= 7 && s.id <= 12) {
			emit(6, append(appendU32(nil, 1), newGlobal...))
			globalDone = true
		}
		switch s.id {
		case 6:
			r := &reader{b: s.body}
			n := r.u32()
			body := append(appendU32(nil, n+1), s.body[r.pos:]...)
			emit(6, append(body, newGlobal...))
			globalDone = true
		case 7:
			r := &reader{b: s.body}
			n := r.u32()
			body := append(appendU32(nil, n+1), s.body[r.pos:]...)
			body = appendU32(body, uint32(len(interruptExport)))
			body = append(body, interruptExport...)
			body = append(body, 0x03) // global
			body = appendU32(body, index)
			emit(7, body)
			exportDone = true
		case 10:
			body, err := instrumentCode(s.body, index, params)
			if err != nil {
				return nil, err
			}
			emit(10, body)
			codeDone = true
		default:
			emit(s.id, s.body)
		}
	}
	if !exportDone || !codeDone {
		return nil, errors.New("module has no export or code section")
	}
	return out, nil
}

func countImports(b []byte) (globals, memories uint32, err error) {
	r := &reader{b: b}
	n := r.u32()
	for range n {
		r.bytes(int(r.u32())) // module
		r.bytes(int(r.u32())) // name
		switch r.byte() {
		case 0x00: // func
			r.u32()
		case 0x01: // table
			r.byte()
			r.limits()
		case 0x02: // memory
			r.limits()
			memories++
		case 0x03: // global
			r.byte()
			r.byte()
			globals++
		case 0x04: // tag
			r.byte()
			r.u32()
		default:
			return 0, 0, errUnsupported
		}
		if r.err != nil {
			return 0, 0, r.err
		}
	}
	return globals, memories, r.err
}

func instrumentCode(b []byte, global uint32, params []uint32) ([]byte, error) {
	r := &reader{b: b}
	n := r.u32()
	if int(n) != len(params) {
		return nil, fmt.Errorf("code section has %d bodies for %d functions", n, len(params))
	}
	out := appendU32(nil, n)
	for i := range n {
		size := r.u32()
		body := r.bytes(int(size))
		if r.err != nil {
			return nil, r.err
		}
		nb, err := instrumentBody(body, global, params[i])
		if err != nil {
			return nil, fmt.Errorf("function body %d: %w", i, err)
		}
		out = appendU32(out, uint32(len(nb)))
		out = append(out, nb...)
	}
	return out, nil
}

// instrumentBody adds the counter local after the body's own locals and the check after every
// loop instruction.
func instrumentBody(b []byte, global, params uint32) ([]byte, error) {
	r := &reader{b: b}
	groups := r.u32()
	locals := uint64(params)
	for range groups {
		locals += uint64(r.u32())
		r.byte()
	}
	if r.err != nil {
		return nil, r.err
	}
	if locals >= 50000 {
		return nil, fmt.Errorf("%d locals: %w", locals, errUnsupported)
	}
	counter := uint32(locals)
	var check []byte
	check = appendU32(append(check, 0x20), counter) // local.get $n
	check = append(check, 0x41, 0x01, 0x6a)         // i32.const 1, i32.add
	check = appendU32(append(check, 0x22), counter) // local.tee $n
	check = appendS32(append(check, 0x41), yieldEvery-1)
	check = append(check, 0x71, 0x45, 0x04, 0x40)       // i32.and, i32.eqz, if
	check = appendU32(append(check, 0x23), global)      // global.get $kapi_interrupt
	check = append(check, 0x04, 0x40, 0x00, 0x0b)       // if unreachable end
	check = append(check, 0x41, 0x00, 0x40, 0x00, 0x1a) // i32.const 0, memory.grow 0, drop
	check = append(check, 0x0b)                         // end

	out := make([]byte, 0, len(b)+len(b)/8+8)
	out = appendU32(out, groups+1)
	out = append(out, b[len(appendU32(nil, groups)):r.pos]...) // the body's own local groups
	out = append(out, 0x01, 0x7f)                              // one i32: the counter
	for r.pos < len(b) {
		start := r.pos
		op := r.byte()
		isLoop := op == 0x03
		if err := r.skipImmediates(op); err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
		out = append(out, b[start:r.pos]...)
		if isLoop {
			out = append(out, check...)
		}
	}
	return out, nil
}

// paramCounts reads the type section: the number of parameters of each function type.
func paramCounts(b []byte) ([]uint32, error) {
	r := &reader{b: b}
	n := r.u32()
	out := make([]uint32, 0, n)
	for range n {
		if r.byte() != 0x60 {
			return nil, fmt.Errorf("type that is not a function type: %w", errUnsupported)
		}
		for k := range 2 { // parameters, then results
			count := r.u32()
			if k == 0 {
				out = append(out, count)
			}
			for range count {
				switch r.byte() {
				case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
				default:
					return nil, fmt.Errorf("value type: %w", errUnsupported)
				}
			}
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	return out, r.err
}

// skipImmediates moves past the immediates of the instruction whose opcode was just read.
func (r *reader) skipImmediates(op byte) error {
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
		r.blockType()
	case op == 0x0c || op == 0x0d: // br, br_if
		r.u32()
	case op == 0x0e: // br_table
		for n := r.u32(); n > 0 && r.err == nil; n-- {
			r.u32()
		}
		r.u32()
	case op == 0x10 || op == 0x12: // call, return_call
		r.u32()
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		r.u32()
		r.u32()
	case op == 0x1c: // select t*
		for n := r.u32(); n > 0 && r.err == nil; n-- {
			r.byte()
		}
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores: memarg
		if align := r.u32(); align&0x40 != 0 {
			r.u32() // memory index (multi-memory)
		}
		r.u64()
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		r.u32()
	case op == 0x41:
		r.s64()
	case op == 0x42:
		r.s64()
	case op == 0x43:
		r.bytes(4)
	case op == 0x44:
		r.bytes(8)
	case op == 0xd0: // ref.null
		r.byte()
	case op == 0xd2: // ref.func
		r.u32()
	case op == 0xfc:
		return r.skipMisc()
	case op <= 0x01, op == 0x05, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b,
		op >= 0x45 && op <= 0xc4, op == 0xd1:
		// no immediates
	default:
		return fmt.Errorf("opcode %#x: %w", op, errUnsupported)
	}
	return nil
}

func (r *reader) skipMisc() error {
	switch sub := r.u32(); {
	case sub <= 7: // saturating truncations
	case sub == 8: // memory.init
		r.u32()
		r.u32()
	case sub == 9, sub == 13, sub >= 15 && sub <= 17: // data.drop, elem.drop, table.grow/size/fill
		r.u32()
	case sub == 10, sub == 12, sub == 14: // memory.copy, table.init, table.copy
		r.u32()
		r.u32()
	case sub == 11: // memory.fill
		r.u32()
	default:
		return fmt.Errorf("opcode 0xfc %d: %w", sub, errUnsupported)
	}
	return nil
}

// reader decodes the binary format; the first error sticks and later reads return zero.
type reader struct {
	b   []byte
	pos int
	err error
}

var errTruncated = errors.New("truncated module")

func (r *reader) byte() byte {
	if r.err != nil || r.pos >= len(r.b) {
		r.err = errTruncated
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || r.pos+n > len(r.b) {
		r.err = errTruncated
		return nil
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s
}

func (r *reader) u64() uint64 {
	var v uint64
	for shift := 0; shift < 70; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errors.New("LEB128 too long")
	return 0
}

func (r *reader) u32() uint32 { return uint32(r.u64()) }

// s64 skips a signed LEB128 (only its length matters here).
func (r *reader) s64() { r.u64() }

func (r *reader) limits() {
	flags := r.byte()
	r.u64()
	if flags&1 != 0 {
		r.u64()
	}
}

func (r *reader) blockType() {
	if r.err != nil || r.pos >= len(r.b) {
		r.err = errTruncated
		return
	}
	switch r.b[r.pos] {
	case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		r.pos++
	default:
		r.s64() // type index as s33
	}
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
