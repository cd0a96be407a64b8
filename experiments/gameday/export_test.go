package gameday

import "net/http"

// HTTPServer exposes the server's http.Server settings to specs.
func (s *Server) HTTPServer() *http.Server { return s.httpServer() }
