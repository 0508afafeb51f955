package check

import "github.com/sfprobe/sfprobe/internal/redact"

// Redacted returns r with every text that may hold outside text (messages,
// remedies, the cleanup message, the error) passed through the redactor. The
// checks build their Results redacted already; the faces (handlers, the
// CLI's reports, the workflow's rebuilt reports) call this again at their
// boundary so that nothing that reached a Report another way leaves
// unredacted.
func (r Report) Redacted() Report {
	if r.Checks != nil {
		checks := make([]Result, len(r.Checks))
		for i, c := range r.Checks {
			checks[i] = c.Redacted()
		}
		r.Checks = checks
	}
	r.Cleanup.Message = redact.Text(r.Cleanup.Message)
	r.Error = redact.Text(r.Error)
	r.SalesforceHost = redact.Text(r.SalesforceHost)
	return r
}

// Redacted returns r with its message, remedy, executed version,
// response-shape key names and the Connect flows' names redacted (copies: r's own are left alone).
func (r Result) Redacted() Result {
	r.Message = redact.Text(r.Message)
	r.Remediation = redact.Text(r.Remediation)
	if r.Invocation != nil {
		inv := *r.Invocation
		inv.ExecutedVersion = redact.Text(inv.ExecutedVersion)
		r.Invocation = &inv
	}
	if r.Shape != nil {
		shape := make([]ShapeKey, len(r.Shape))
		for i, k := range r.Shape {
			shape[i] = ShapeKey{Key: redact.Text(k.Key), Kind: k.Kind}
		}
		r.Shape = shape
	}
	if r.Connect != nil {
		v := *r.Connect
		v.MinTimeoutFlow = redact.Text(v.MinTimeoutFlow)
		v.StringMapFlow = redact.Text(v.StringMapFlow)
		if v.Budget != nil {
			b := *v.Budget
			b.ShapeProblem = redact.Text(b.ShapeProblem)
			v.Budget = &b
		}
		r.Connect = &v
	}
	return r
}

// Redacted returns f with every target's report redacted.
func (f Fleet) Redacted() Fleet {
	if f.Targets != nil {
		targets := make([]Report, len(f.Targets))
		for i, t := range f.Targets {
			targets[i] = t.Redacted()
		}
		f.Targets = targets
	}
	if f.Orgs != nil {
		orgs := make([]Org, len(f.Orgs))
		for i, o := range f.Orgs {
			orgs[i] = o
			orgs[i].Host = redact.Text(o.Host)
		}
		f.Orgs = orgs
	}
	return f
}
