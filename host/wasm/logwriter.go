package wasm

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// maxLogLine bounds one logged line of guest output; longer lines are split.
const maxLogLine = 4096

// logWriter turns a guest's stdout or stderr into log lines tagged with the plugin's name.
type logWriter struct {
	logger *slog.Logger
	level  slog.Level
	mu     sync.Mutex
	buf    []byte
}

func newLogWriter(logger *slog.Logger, stream string, level slog.Level) *logWriter {
	return &logWriter{logger: logger.With("stream", stream), level: level}
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) >= maxLogLine {
				w.emit(w.buf[:maxLogLine])
				w.buf = w.buf[maxLogLine:]
				continue
			}
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) == 0 {
		w.buf = nil
	}
	return len(p), nil
}

func (w *logWriter) emit(line []byte) {
	w.logger.Log(context.Background(), w.level, string(line))
}
