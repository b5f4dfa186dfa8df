package process

import (
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"

	"github.com/kapi-dev/kapi/host/pluginapi"
)

// hclogAdapter is the hclog.Logger go-plugin logs through, writing to the server's slog logger.
// go-plugin logs its own events (a process exiting, with its status) and the plugin's raw stderr
// lines through it: go-plugin's JSON log lines at their own level, a panic's lines as errors, other
// lines at debug.
type hclogAdapter struct {
	logger *slog.Logger
	name   string
	args   []any
	level  hclog.Level
}

func newHCLogAdapter(logger *slog.Logger) *hclogAdapter {
	return &hclogAdapter{logger: logger, level: hclog.Debug}
}

var slogLevels = map[hclog.Level]slog.Level{
	hclog.Trace: slog.LevelDebug - 4,
	hclog.Debug: slog.LevelDebug,
	hclog.Info:  slog.LevelInfo,
	hclog.Warn:  slog.LevelWarn,
	hclog.Error: slog.LevelError,
}

func (a *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off || level < a.level {
		return
	}
	l, ok := slogLevels[level]
	if !ok {
		l = slog.LevelInfo
	}
	ctx := context.Background()
	if !a.logger.Enabled(ctx, l) {
		return
	}
	all := make([]any, 0, len(a.args)+len(args)+2)
	if a.name != "" {
		all = append(all, "subsystem", a.name)
	}
	all = append(all, a.args...)
	for i := 0; i < len(args); i += 2 {
		// go-plugin names the executable "plugin"; the server's logs use that key for the name.
		if k, ok := args[i].(string); ok && k == "plugin" {
			all = append(all, "executable")
			all = append(all, args[i+1:min(i+2, len(args))]...)
			continue
		}
		all = append(all, args[i:min(i+2, len(args))]...)
	}
	a.logger.Log(ctx, l, msg, all...)
}

func (a *hclogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *hclogAdapter) enabled(l hclog.Level) bool {
	return l >= a.level && a.logger.Enabled(context.Background(), slogLevels[l])
}

func (a *hclogAdapter) IsTrace() bool { return a.enabled(hclog.Trace) }
func (a *hclogAdapter) IsDebug() bool { return a.enabled(hclog.Debug) }
func (a *hclogAdapter) IsInfo() bool  { return a.enabled(hclog.Info) }
func (a *hclogAdapter) IsWarn() bool  { return a.enabled(hclog.Warn) }
func (a *hclogAdapter) IsError() bool { return a.enabled(hclog.Error) }

func (a *hclogAdapter) ImpliedArgs() []any { return a.args }

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	c := *a
	c.args = append(append([]any(nil), a.args...), args...)
	return &c
}

func (a *hclogAdapter) Name() string { return a.name }

func (a *hclogAdapter) Named(name string) hclog.Logger {
	c := *a
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	return &c
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	return &c
}

func (a *hclogAdapter) SetLevel(level hclog.Level) { a.level = level }
func (a *hclogAdapter) GetLevel() hclog.Level      { return a.level }

func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return &pluginapi.LineWriter{Logger: a.logger, Level: slog.LevelInfo, Msg: "plugin log"}
}

var _ hclog.Logger = (*hclogAdapter)(nil)
