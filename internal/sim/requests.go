package sim

import "strings"

// prepareURL is the URL check of requests' PreparedRequest.prepare_url
// and get_adapter (requests 2.34), for the URL sfInvokeAPI builds from
// SF_HOST: '%s/services/data/%s/…' % (host, version).
func prepareURL(u string) error {
	lower := strings.ToLower(u)
	if strings.Contains(u, ":") && !strings.HasPrefix(lower, "http") {
		// Not an HTTP URL: requests leaves it as is, and no adapter takes it.
		return raise("InvalidSchema", "No connection adapters were found for %s", pyRepr(u))
	}
	scheme, rest, found := strings.Cut(u, "://")
	if !found || scheme == "" || strings.ContainsAny(scheme, "/?#") {
		return raise("MissingSchema", "Invalid URL %s: No scheme supplied. Perhaps you meant https://%s?", pyRepr(u), u)
	}
	if s := strings.ToLower(scheme); s != "http" && s != "https" {
		return raise("InvalidSchema", "No connection adapters were found for %s", pyRepr(u))
	}
	host, _, _ := strings.Cut(rest, "/")
	if host == "" {
		return raise("InvalidURL", "Invalid URL %s: No host supplied", pyRepr(u))
	}
	return nil
}
