package sfinvoke

import (
	"regexp"
	"strings"
)

// unreachable is a Salesforce host that sfInvokeAPI could not reach, read
// from the exception requests raised: "HTTPSConnectionPool(host='h',
// port=443): Max retries exceeded with url: /services/oauth2/token?... (Caused
// by ...)". The same text comes with ConnectionError, SSLError, ProxyError,
// ConnectTimeout and ReadTimeout.
type unreachable struct {
	host  string
	token bool   // the token endpoint (a login), not a REST call
	cause string // the exception urllib3 gave, e.g. NameResolutionError
}

var (
	poolRE  = regexp.MustCompile(`HTTPSConnectionPool\(host='([^']+)', port=\d+\): (?:Max retries exceeded with url|Read timed out)[^/]*(/\S*)?`)
	causeRE = regexp.MustCompile(`Caused by ([A-Za-z]+)\(`)
)

// unreachableHost reads the host sfInvokeAPI failed to reach from a
// function error raised by requests.
func unreachableHost(fe *FunctionError) (unreachable, bool) {
	m := poolRE.FindStringSubmatch(fe.Message)
	if m == nil {
		return unreachable{}, false
	}
	u := unreachable{host: m[1], token: strings.HasPrefix(m[2], "/services/oauth2/token")}
	if c := causeRE.FindStringSubmatch(fe.Message); c != nil {
		u.cause = c[1]
	}
	return u, true
}

func (u unreachable) what() string {
	s := "could not reach the Salesforce host " + u.host
	if u.token {
		s = "could not reach its Salesforce token host " + u.host + " to log in (its cached token was refused)"
	}
	if u.cause != "" {
		s += " (" + u.cause + ")"
	}
	return s
}

// remedy is the first action for on-call, naming the host.
func (u unreachable) remedy() string {
	if u.token && strings.EqualFold(u.host, "login.salesforce.com") {
		return "sfInvokeAPI logs in at login.salesforce.com because its SF_PRODUCTION is true: let the function's network reach " +
			"login.salesforce.com:443 as well as the org's My Domain (VPC route or NAT gateway, security group and network ACL egress, " +
			"DNS resolution, proxy or firewall allow-list), or set SF_PRODUCTION to false so it logs in at SF_HOST; see docs/RUNBOOK.md#network"
	}
	if u.token {
		return "sfInvokeAPI logs in at " + u.host + " (SF_HOST, since SF_PRODUCTION is not true): check that the function's network " +
			"reaches it on port 443 (VPC route or NAT gateway, security group egress, DNS, proxy or firewall) and that SF_HOST is the " +
			"org's My Domain URL; see docs/RUNBOOK.md#network"
	}
	return "sfInvokeAPI could not reach " + u.host + " (SF_HOST): check that the function's network reaches it on port 443 (VPC route " +
		"or NAT gateway, security group egress, DNS, proxy or firewall) and that SF_HOST is the org's My Domain URL; see docs/RUNBOOK.md#network"
}
