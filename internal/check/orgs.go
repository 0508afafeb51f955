package check

import (
	"net/url"
	"sort"
	"strings"

	"github.com/sfprobe/sfprobe/internal/redact"
)

// OrgUnknown is the host of the fleet's org bucket for the targets whose
// org was not read (TargetConfig did not run or could not read the
// function's configuration, e.g. a run of scope salesforce). They may be on
// any org, one or several.
const OrgUnknown = "unknown"

// Org is one Salesforce org of a fleet: the targets whose sfInvokeAPI
// calls it (its SF_HOST) and their Salesforce calls in this run. Targets
// that share an org share its daily API allowance: this run's calls on
// the org are SalesforceCalls, not any one target's.
type Org struct {
	// Host is the org's host name (SF_HOST's, lower case), or OrgUnknown.
	Host string `json:"host"`
	// Targets are the targets' labels, in the fleet's order.
	Targets         []string `json:"targets"`
	SalesforceCalls int      `json:"salesforce_calls"`
}

// orgHost is the org an SF_HOST names: its host name in lower case, ""
// when it is not a URL with a host (TargetConfig fails it).
func orgHost(sfHost string) string {
	u, err := url.Parse(strings.TrimSpace(sfHost))
	if err != nil || u.Hostname() == "" {
		return ""
	}
	return redact.Text(strings.TrimSuffix(strings.ToLower(u.Hostname()), "."))
}

// takeSalesforceHost sets the report's org from TargetConfig's result,
// when the report has none yet.
func (r *Report) takeSalesforceHost() {
	if r.SalesforceHost != "" {
		return
	}
	for _, c := range r.Checks {
		if c.Name == TargetConfig && c.SalesforceHost != "" {
			r.SalesforceHost = c.SalesforceHost
		}
	}
}

// orgsOf groups the reports by org, sorted by host, OrgUnknown last.
func orgsOf(reports []Report) []Org {
	byHost := map[string]*Org{}
	for _, r := range reports {
		host := r.SalesforceHost
		if host == "" {
			host = OrgUnknown
		}
		o := byHost[host]
		if o == nil {
			o = &Org{Host: host, Targets: []string{}}
			byHost[host] = o
		}
		o.Targets = append(o.Targets, r.Target)
		o.SalesforceCalls += r.SalesforceCalls
	}
	out := make([]Org, 0, len(byHost))
	for _, o := range byHost {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Host == OrgUnknown) != (out[j].Host == OrgUnknown) {
			return out[j].Host == OrgUnknown
		}
		return out[i].Host < out[j].Host
	})
	return out
}
