package wasm

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
)

// instantiateHostModule defines the "kapi" host functions of SPEC.md 3.5 in the plugin's runtime,
// bound to the plugin's abi.Host. A bad pointer from the guest is a trap (a panic here).
func (p *Plugin) instantiateHostModule(ctx context.Context) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	b := p.rt.NewHostModuleBuilder(abi.HostModule)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(p.hostLog), []api.ValueType{i32, i32, i32}, nil).
		WithParameterNames("level", "ptr", "len").Export(abi.ImportLog)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(p.hostNow), nil, []api.ValueType{i64}).
		Export(abi.ImportNow)
	b.NewFunctionBuilder().WithGoModuleFunction(p.resultFunc(p.getObject), []api.ValueType{i32, i32}, []api.ValueType{i64}).
		WithParameterNames("ptr", "len").Export(abi.ImportGetObject)
	b.NewFunctionBuilder().WithGoModuleFunction(p.resultFunc(p.listObjects), []api.ValueType{i32, i32}, []api.ValueType{i64}).
		WithParameterNames("ptr", "len").Export(abi.ImportListObjects)
	b.NewFunctionBuilder().WithGoModuleFunction(p.resultFunc(p.http), []api.ValueType{i32, i32}, []api.ValueType{i64}).
		WithParameterNames("ptr", "len").Export(abi.ImportHTTP)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(p.takeResult), []api.ValueType{i32}, nil).
		WithParameterNames("ptr").Export(abi.ImportTakeResult)
	_, err := b.Instantiate(ctx)
	return err
}

// read copies len bytes at ptr out of the guest's memory, trapping when they are out of bounds.
func read(mod api.Module, ptr, size uint32) []byte {
	b, ok := mod.Memory().Read(ptr, size)
	if !ok {
		panic(fmt.Errorf("kapi host function: %d bytes at %#x are out of bounds of guest memory", size, ptr))
	}
	return append([]byte(nil), b...)
}

func (p *Plugin) hostLog(_ context.Context, mod api.Module, stack []uint64) {
	msg := read(mod, uint32(stack[1]), uint32(stack[2]))
	p.host.Log(abi.LogLevel(int32(stack[0])), string(msg))
}

func (p *Plugin) hostNow(_ context.Context, _ api.Module, stack []uint64) {
	stack[0] = uint64(p.host.Now().UnixNano())
}

// resultFunc adapts a host service taking request JSON and giving result JSON to the two-step
// result convention: the result waits in the instance for take_result.
func (p *Plugin) resultFunc(serve func(ctx context.Context, req []byte) ([]byte, error)) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		req := read(mod, uint32(stack[0]), uint32(stack[1]))
		in := p.instanceOf(mod)
		if in == nil {
			panic("kapi host function called outside a kapi call")
		}
		// Host calls share the call's deadline (SPEC.md 3.5).
		ctx, cancel := context.WithDeadline(ctx, in.deadline)
		defer cancel()
		out, err := serve(ctx, req)
		code := uint32(0)
		if err != nil {
			he := pluginapi.HostErrorOf(err)
			code, out = uint32(he.Code), []byte(he.Message)
		}
		in.pending = out
		stack[0] = abi.PackPtrLen(code, uint32(len(out)))
	}
}

func (p *Plugin) takeResult(_ context.Context, mod api.Module, stack []uint64) {
	in := p.instanceOf(mod)
	if in == nil || in.pending == nil {
		panic("kapi.take_result with no pending result")
	}
	if !mod.Memory().Write(uint32(stack[0]), in.pending) {
		panic(fmt.Errorf("kapi.take_result: %d bytes at %#x are out of bounds of guest memory", len(in.pending), uint32(stack[0])))
	}
	in.pending = nil
}

func badRequest(what string, err error) error {
	return &abi.HostError{Code: abi.HostErrBadRequest, Message: fmt.Sprintf("%s: %v", what, err)}
}

func (p *Plugin) getObject(ctx context.Context, req []byte) ([]byte, error) {
	var r abi.ObjectRequest
	if err := json.Unmarshal(req, &r); err != nil {
		return nil, badRequest("get_object request", err)
	}
	return p.host.GetObject(ctx, r.Resource, r.Namespace, r.Name)
}

func (p *Plugin) listObjects(ctx context.Context, req []byte) ([]byte, error) {
	var r abi.ObjectRequest
	if err := json.Unmarshal(req, &r); err != nil {
		return nil, badRequest("list_objects request", err)
	}
	return p.host.ListObjects(ctx, r.Resource, r.Namespace, r.LabelSelector)
}

func (p *Plugin) http(ctx context.Context, req []byte) ([]byte, error) {
	var r abi.HTTPRequest
	if err := json.Unmarshal(req, &r); err != nil {
		return nil, badRequest("http request", err)
	}
	resp, err := p.host.HTTP(ctx, r)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}
