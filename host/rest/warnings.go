package rest

import (
	"net/http"
	"strings"
)

// AddWarning adds a `Warning: 299 - "text"` header, kube's form for API warnings (kubectl prints
// them as "Warning: text"). Quotes and backslashes in text are escaped; control characters are
// dropped, since a header cannot carry them.
func AddWarning(h http.Header, text string) {
	h.Add("Warning", `299 - "`+escapeWarning(text)+`"`)
}

func escapeWarning(text string) string {
	var b strings.Builder
	b.Grow(len(text) + 8)
	for _, r := range text {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 && r != '\t', r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// warn adds a warning to the response once, however often it is raised.
func (s *scope) warn(text string) {
	if s.warned == nil {
		s.warned = map[string]bool{}
	}
	if s.warned[text] {
		return
	}
	s.warned[text] = true
	AddWarning(s.w.Header(), text)
}
