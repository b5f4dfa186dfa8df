package pluginapi

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// maxLogLine bounds one logged line of a plugin's output; a longer line is logged in pieces.
const maxLogLine = 64 << 10

// LineWriter logs each line written to it: a plugin's stdout or stderr, in either mode. A
// partial line waits for its end (or for maxLogLine bytes); carriage returns at the end of a line
// and empty lines are dropped.
type LineWriter struct {
	Logger *slog.Logger
	Level  slog.Level
	// Msg is each record's message, with the line in its "line" attribute; when empty, the line
	// is the message.
	Msg string

	mu  sync.Mutex
	buf []byte
}

// Write logs the complete lines of what it has been given so far.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) < maxLogLine {
				break
			}
			i = maxLogLine
			w.emit(w.buf[:i])
			w.buf = w.buf[i:]
			continue
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) == 0 {
		w.buf = nil
	}
	return len(p), nil
}

func (w *LineWriter) emit(line []byte) {
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return
	}
	if w.Msg == "" {
		w.Logger.Log(context.Background(), w.Level, string(line))
		return
	}
	w.Logger.Log(context.Background(), w.Level, w.Msg, "line", string(line))
}
