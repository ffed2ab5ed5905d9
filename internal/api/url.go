package api

import "net/http"

// BaseURL is the server's root URL as the request reached it, for the links
// and catalogs the OpenStack APIs answer with: the scheme a TLS connection
// or a proxy's X-Forwarded-Proto names, and the Host the client asked for.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host
}
