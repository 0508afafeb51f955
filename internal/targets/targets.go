// Package targets reads the targets file: several sfInvokeAPI deployments
// (accounts, regions, orgs) that `sfprobe run --targets` checks concurrently
// and the workflow's Map state fans out over. The file is YAML or JSON with
// the JSON names of check.Target, so its keys are a public interface:
//
//	max_concurrency: 5          # optional, 1 to 50
//	targets:
//	  - function: arn:aws:lambda:eu-west-2:123456789012:function:sfInvokeAPI
//	    phone: "+441122334455"
//	    name: prod-eu             # the metric dimension Target; unique
//	  - function: sfInvokeAPI-staging
//	    phone: "+15005550006"
//	    region: us-east-1         # sfprobe run only: AWS settings of this target
//	    profile: staging
//	  - function: arn:aws:lambda:us-east-1:210987654321:function:sfInvokeAPI
//	    phone: "+15005550006"
//	    role_arn: arn:aws:iam::210987654321:role/sfprobe-target   # assumed for every AWS call
//	    external_id: 8c1f0d...      # when the role's trust policy requires one
//
// Parse and Load validate the whole file before any AWS call; every error
// names its field path, e.g. targets[2].phone, and what was expected.
package targets

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// The file's limits.
const (
	// MaxTargets bounds the targets of one file: workflow.MaxFleetTargets,
	// the most one run (and one stack) probes. Up to
	// workflow.InlineMaxTargets run on the workflow's inline Map, whose
	// output is the fleet report (a target's report takes about 2 KB, up to
	// 3.5 KB when every check fails with a long message and its remedy: 50
	// stay within Step Functions' 256 KiB); more fan out on its Distributed
	// Map (a STANDARD state machine), which keeps the reports in S3.
	MaxTargets = workflow.MaxFleetTargets
	// MaxConcurrency bounds max_concurrency and `sfprobe run --concurrency`.
	MaxConcurrency = 50
	// DefaultConcurrency is the bound when the file sets none (unless the
	// file lists fewer targets).
	DefaultConcurrency = 10
	// MaxSize is the largest file Parse reads.
	MaxSize = 1 << 20
)

// Entry is one target of the file: check.Target's fields under the same
// JSON names, plus the AWS settings `sfprobe run` uses for it. The workflow
// ignores Region and Profile: it calls the function in its ARN's region.
type Entry struct {
	Function           string `json:"function"`
	Phone              string `json:"phone"`
	Fields             string `json:"fields,omitempty"`
	SecretARN          string `json:"secret_arn,omitempty"`
	KMSKeyARN          string `json:"kms_key_arn,omitempty"`
	ConnectInstanceARN string `json:"connect_instance_arn,omitempty"`
	Name               string `json:"name,omitempty"`
	KeepCases          bool   `json:"keep_cases,omitempty"`
	ExpectVersion      string `json:"expect_version,omitempty"`
	RoleARN            string `json:"role_arn,omitempty"`
	ExternalID         string `json:"external_id,omitempty"`
	// Region is the AWS region `sfprobe run` calls this target in; default:
	// the function ARN's region, else --region, else AWS_REGION or the
	// profile's.
	Region string `json:"region,omitempty"`
	// Profile is the shared-config profile `sfprobe run` takes this
	// target's credentials from; default: --profile, else AWS_PROFILE.
	Profile string `json:"profile,omitempty"`
}

// Target returns the entry as the checks take it.
func (e Entry) Target() check.Target {
	return check.Target{
		Function:           e.Function,
		Phone:              e.Phone,
		Fields:             e.Fields,
		SecretARN:          e.SecretARN,
		KMSKeyARN:          e.KMSKeyARN,
		ConnectInstanceARN: e.ConnectInstanceARN,
		Name:               e.Name,
		KeepCases:          e.KeepCases,
		ExpectVersion:      e.ExpectVersion,
		RoleARN:            e.RoleARN,
		ExternalID:         e.ExternalID,
	}
}

// CallRegion is the region the target's function must be called in: Region,
// else the function ARN's region, else "" (the caller's default).
func (e Entry) CallRegion() string { return cmp.Or(e.Region, check.FunctionRegion(e.Function)) }

// Label is the entry's name in reports and metrics (check.Target.Label).
func (e Entry) Label() string { return e.Target().Label() }

// File is a parsed, validated targets file.
type File struct {
	// MaxConcurrency bounds how many targets run at once; 0 means the default.
	MaxConcurrency int     `json:"max_concurrency,omitempty"`
	Targets        []Entry `json:"targets"`
}

// CheckTargets returns the targets in file order.
func (f File) CheckTargets() []check.Target {
	out := make([]check.Target, len(f.Targets))
	for i, e := range f.Targets {
		out[i] = e.Target()
	}
	return out
}

// Concurrency is how many targets run at once: max_concurrency, else
// DefaultConcurrency or the number of targets, whichever is smaller.
func (f File) Concurrency() int {
	if f.MaxConcurrency > 0 {
		return f.MaxConcurrency
	}
	return max(1, min(len(f.Targets), DefaultConcurrency))
}

// Load reads and parses the targets file at path.
func Load(path string) (File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return File{}, fmt.Errorf("read targets file: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxSize+1))
	if err != nil {
		return File{}, fmt.Errorf("read targets file %s: %w", path, err)
	}
	f, err := Parse(data, path)
	if err != nil {
		sep := " " // one error on the line, several each on its own
		if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 1 {
			sep = "\n"
		}
		return File{}, fmt.Errorf("targets file %s:%s%w", path, sep, err)
	}
	return f, nil
}

// Parse parses and validates a targets file. name chooses the syntax by its
// extension (.json, else .yaml or .yml); with any other name the content
// does (JSON when it starts with { or [). YAML is converted to JSON first, so
// both syntaxes follow the same keys and rules; a YAML scalar that JSON
// cannot hold as a number, such as +441122334455 or a date, stays text.
//
// Parse fills the default fields of each entry. Its validation errors are
// *validate.FieldError values, joined, each naming the field's path.
func Parse(data []byte, name string) (File, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a UTF-8 byte order mark
	if len(data) > MaxSize {
		return File{}, fmt.Errorf("larger than %d bytes", MaxSize)
	}
	if strings.TrimSpace(string(data)) == "" {
		return File{}, errors.New(`empty: want {"targets": [...]} in YAML or JSON`)
	}
	js := data
	if isYAML(data, name) {
		var err error
		if js, err = yamlToJSON(data); err != nil {
			return File{}, err
		}
	} else if err := checkJSON(data); err != nil {
		return File{}, err
	}
	return decodeFile(js)
}

// isYAML chooses the syntax of a file.
func isYAML(data []byte, name string) bool {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".json"):
		return false
	case strings.HasSuffix(lower, ".yaml"), strings.HasSuffix(lower, ".yml"):
		return true
	}
	s := strings.TrimLeft(strings.TrimPrefix(string(data), "\ufeff"), " \t\r\n")
	return !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[")
}

// validateEntry checks one entry as the workflow will (every check, so the
// phone is required) plus its CLI settings. It fills the default fields.
func validateEntry(path string, e *Entry) []error {
	t := e.Target()
	errs := validate.Prefixed(path, t.ValidateFor(true))
	e.Fields = t.Fields
	if e.Region != "" {
		if !regionRe.MatchString(e.Region) {
			errs = append(errs, &validate.FieldError{Field: path + ".region", Msg: fmt.Sprintf("%q is not an AWS region (want e.g. eu-west-2)", e.Region)})
		} else if r := check.FunctionRegion(e.Function); r != "" && r != e.Region {
			errs = append(errs, &validate.FieldError{Field: path + ".region", Msg: fmt.Sprintf("%q, but the function ARN is in %s (the workflow calls it there; drop region or fix the ARN)", e.Region, r)})
		}
	}
	if e.Profile != "" && (strings.TrimSpace(e.Profile) != e.Profile || strings.ContainsFunc(e.Profile, isControl) || len(e.Profile) > 128) {
		errs = append(errs, &validate.FieldError{Field: path + ".profile", Msg: fmt.Sprintf("%q is not a profile name (at most 128 characters, no surrounding spaces or control characters)", e.Profile)})
	}
	return errs
}

// duplicateLabels reports each entry whose label an earlier entry has: the
// label is the metric dimension Target, so two targets must not share one.
func duplicateLabels(entries []Entry) []error {
	first := map[string]int{}
	var errs []error
	for i, e := range entries {
		if e.Function == "" {
			continue // reported as missing
		}
		l := e.Label()
		j, seen := first[l]
		if !seen {
			first[l] = i
			continue
		}
		field := fmt.Sprintf("targets[%d].name", i)
		msg := fmt.Sprintf("label %q is also the label of targets[%d]; give each target a distinct name (the label is the metric dimension Target)", l, j)
		if e.Name == "" {
			msg = fmt.Sprintf("label %q (the function name) is also the label of targets[%d]; set name to tell them apart (the label is the metric dimension Target)", l, j)
		}
		errs = append(errs, &validate.FieldError{Field: field, Msg: msg})
	}
	return errs
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
