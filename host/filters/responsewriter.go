package filters

import (
	"net/http"
)

// statusRecorder remembers the status code a handler wrote and whether it wrote anything, for
// the filters that must know (metrics, panic recovery). It keeps the writer's Flush (watches
// stream through it) and unwraps for http.ResponseController.
type statusRecorder struct {
	http.ResponseWriter
	code    int
	written bool
}

func newStatusRecorder(w http.ResponseWriter) *statusRecorder {
	if rec, ok := w.(*statusRecorder); ok {
		return rec
	}
	return &statusRecorder{ResponseWriter: w}
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.written {
		s.code = code
		s.written = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.written {
		s.code = http.StatusOK
		s.written = true
	}
	return s.ResponseWriter.Write(b)
}

// Flush sends buffered data to the client, as http.Flusher.
func (s *statusRecorder) Flush() {
	if !s.written {
		s.code = http.StatusOK
		s.written = true
	}
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Code is the status code written so far, 200 if the handler wrote a body without one, 0 if
// nothing was written.
func (s *statusRecorder) Code() int { return s.code }
