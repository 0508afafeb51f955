package sim

import (
	"time"

	"github.com/sfprobe/sfprobe/events"
)

// StaleCases are the Ids of the Cases SeedStaleCases adds: the test Cases
// that crashed runs left behind, which a cleanup sweep must remove, beside
// Cases it must never touch.
type StaleCases struct {
	// AgedOpen and AgedClosed carry a run marker and are older than the
	// age: a sweep removes them.
	AgedOpen, AgedClosed string
	// Fresh carries a run marker but is younger than the age: the Case of a
	// run in progress.
	Fresh string
	// Unmarked is a customer's Case.
	Unmarked string
	// Lookalike's Subject starts like a test Case's but carries no run
	// marker ("sfprobe synthetic testing ..."): the sweep's query returns it.
	Lookalike string
}

// Swept are the Cases a sweep with the age removes.
func (s StaleCases) Swept() []string { return []string{s.AgedOpen, s.AgedClosed} }

// Untouched are the Cases a sweep with the age leaves as they are.
func (s StaleCases) Untouched() []string { return []string{s.Fresh, s.Unmarked, s.Lookalike} }

// SeedStaleCases adds to org, for the default test contact: an open and a
// closed test Case created an hour more than age before now, a test Case
// created age/2 before now, a customer's Case and a look-alike, both old.
// Each test Case's Subject carries the marker of a run id derived from its
// CreatedDate, as a run's would.
func SeedStaleCases(org *Org, now time.Time, age time.Duration) StaleCases {
	aged := now.Add(-age - time.Hour).UTC().Truncate(time.Second)
	fresh := now.Add(-age / 2).UTC().Truncate(time.Second)
	subject := func(at time.Time, suffix string) string {
		return events.Subject(events.Marker(at.Format("20060102T150405Z") + "-" + suffix))
	}
	return StaleCases{
		AgedOpen: org.AddCaseAgedForTest(Case{ContactID: DefaultContactID, Subject: subject(aged, "0000a0e1"),
			Status: "New", Origin: "Phone", Priority: "Low", CreatedDate: aged}),
		AgedClosed: org.AddCaseAgedForTest(Case{ContactID: DefaultContactID, Subject: subject(aged.Add(time.Minute), "0000a0c1"),
			IsClosed: true, Origin: "Phone", Priority: "Low", CreatedDate: aged.Add(time.Minute)}),
		Fresh: org.AddCaseAgedForTest(Case{ContactID: DefaultContactID, Subject: subject(fresh, "0000f0e1"),
			Status: "New", Origin: "Phone", Priority: "Low", CreatedDate: fresh}),
		Unmarked: org.AddCaseAgedForTest(Case{ContactID: DefaultContactID, Subject: "Printer on fire",
			Status: "New", Origin: "Phone", Priority: "High", CreatedDate: aged}),
		Lookalike: org.AddCaseAgedForTest(Case{ContactID: DefaultContactID, Subject: "sfprobe synthetic testing of the IVR (by hand)",
			Status: "New", Origin: "Phone", Priority: "Low", CreatedDate: aged}),
	}
}
