package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/validate"
)

const eventsDescription = `
Prints the test events sfprobe replays, rendered, in the shape of the samples
that ship with sfInvokeAPI: paste each into the Lambda console's test event
editor to run the manual procedure by hand (phoneLookup, copy the Id, create,
copy the Case Id, update, lookupCase, delete).`

func eventsCmd(_ context.Context, a *app, args []string) (int, error) {
	fs := a.newFlagSet("events", "[--phone +E164] [--contact-id ID] [--case-id ID] [--event NAME]", eventsDescription)
	var v events.Values
	var only, runID string
	fs.StringVar(&v.Phone, "phone", "+441122334455", "E.164 phone number of the test contact")
	fs.StringVar(&v.Fields, "fields", events.DefaultFields, "fields phoneLookup requests, separated by comma and space")
	fs.StringVar(&v.ContactID, "contact-id", "REPLACE_WITH_CONTACT_ID", "the Id phoneLookup returned")
	fs.StringVar(&v.CaseID, "case-id", "REPLACE_WITH_CASE_ID", "the Id create returned")
	fs.StringVar(&runID, "run-id", "manual", "run id carried in the Case Subject as the marker sfprobe-<run-id>")
	fs.StringVar(&only, "event", "", "print only this event: "+eventNames())
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	if err := validate.Phone("--phone", v.Phone); err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	if err := validate.Fields("--fields", v.Fields); err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	v.Marker = events.Marker(runID)
	if !events.ValidMarker(v.Marker) {
		return exitUsage, usagef("--run-id: %q: want letters, digits and _.:- only", runID)
	}
	names := events.Names()
	if only != "" {
		names = nil
		for _, n := range events.Names() {
			if string(n) == only {
				names = append(names, n)
			}
		}
		if names == nil {
			return exitUsage, usagef("--event: unknown event %q (known: %s)", only, eventNames())
		}
	}
	for i, n := range names {
		b, err := events.Render(n, v)
		if err != nil {
			return exitFailed, err
		}
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		fmt.Fprintf(a.stdout, "# event-%s.json (%s)\n%s\n", n, eventPurpose[n], b)
	}
	return exitOK, nil
}

var eventPurpose = map[events.Name]string{
	events.PhoneLookup: "PhoneLookup: finds the test contact; copy its Id",
	events.Create:      "CreateCase: creates a test Case for that contact; copy the Case Id",
	events.Update:      "CloseCase: closes the Case; expect {\"Status\": 204}",
	events.LookupCase:  "VerifyCaseClosed: reads the Case back; expect IsClosed true",
	events.Delete:      "cleanup: deletes the test Case; expect {\"Response\": null}",
	events.FindCases:   "sweep: lists sfprobe's test Cases",
	events.FindRunCase: "recovery: finds this run's Case by its marker when create's response was lost",
}

func eventNames() string {
	var s []string
	for _, n := range events.Names() {
		s = append(s, string(n))
	}
	return strings.Join(s, ", ")
}
