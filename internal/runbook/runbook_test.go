package runbook

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/docs"
	"github.com/sfprobe/sfprobe/internal/alarmname"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// chainClasses is every class a Salesforce chain check can fail with:
// internal/sfinvoke/classify.go maps sfInvokeAPI's errors and the Invoke
// API's to all of them, internal/check/chain.go adds data and
// unexpected-response, and the workflow's Catch (CaughtResult) any class.
var chainClasses = []failure.Class{
	failure.Auth, failure.APILimit, failure.Config, failure.Timeout, failure.Packaging, failure.Permission,
	failure.Data, failure.Throttled, failure.NotFound, failure.Network, failure.UnexpectedResponse, failure.Unknown,
}

// checkClassTable is, per check, every class it can produce, read from
// internal/check/aws.go, awserr.go and chain.go.
var checkClassTable = []struct {
	check   string
	classes []failure.Class
}{
	// session.function: classifyAWS of GetFunctionConfiguration; config for
	// the environment and a missing client.
	{check.TargetConfig, []failure.Class{failure.NotFound, failure.Permission, failure.Config, failure.Throttled, failure.Network, failure.Timeout, failure.Unknown}},
	// session.secret and GetSecretValue/ListSecretVersionIds: classifyAWS;
	// not-found for a secret pending deletion; config for keys and JSON.
	{check.SecretAccess, []failure.Class{failure.NotFound, failure.Permission, failure.Config, failure.Throttled, failure.Network, failure.Timeout, failure.Unknown}},
	// As SecretAccess, plus DescribeKey without metadata and the simulation's
	// denials.
	{check.KmsKey, []failure.Class{failure.NotFound, failure.Permission, failure.Config, failure.UnexpectedResponse, failure.Throttled, failure.Network, failure.Timeout, failure.Unknown}},
	// GetPolicy's not-found is reported as permission (no resource policy);
	// the Connect instance's not-found as not-found.
	{check.ConnectAccess, []failure.Class{failure.Permission, failure.Config, failure.UnexpectedResponse, failure.Throttled, failure.Network, failure.Timeout, failure.Unknown, failure.NotFound}},
	// session.function and GetSecretValue as TargetConfig; the token
	// endpoint's OAuth errors (auth), /limits (api-limit, permission), a
	// version not served and host settings (config), answers that are not
	// Salesforce's JSON.
	{check.SalesforceLogin, []failure.Class{failure.Auth, failure.APILimit, failure.Config, failure.NotFound, failure.Permission, failure.UnexpectedResponse, failure.Throttled, failure.Network, failure.Timeout, failure.Unknown}},
	{check.PhoneLookup, chainClasses},
	{check.CreateCase, chainClasses},
	{check.CloseCase, chainClasses},
	{check.VerifyCaseClosed, chainClasses},
}

func TestEveryClassHasSection(t *testing.T) {
	for _, c := range failure.All() {
		t.Run(string(c), func(t *testing.T) {
			got, ok := Section(string(c))
			require.True(t, ok, "docs/RUNBOOK.md lacks a \"## %s\" section", c)
			assert.True(t, strings.HasPrefix(got, "## "+string(c)+"\n"), "section %s starts with %q", c, firstLine(got))
		})
	}
}

func TestEveryCheckClassHasSection(t *testing.T) {
	var listed []string
	for _, tt := range checkClassTable {
		listed = append(listed, tt.check)
	}
	require.ElementsMatch(t, check.Names(), listed, "the table must list every check")

	for _, tt := range checkClassTable {
		for _, c := range tt.classes {
			anchor := CheckAnchor(tt.check, c)
			t.Run(anchor, func(t *testing.T) {
				got, ok := Section(anchor)
				require.True(t, ok, "docs/RUNBOOK.md lacks <a id=%q></a> before \"### %s / %s\"", anchor, tt.check, c)
				assert.Contains(t, got, "### "+tt.check+" / "+string(c)+"\n")
				for _, part := range []string{"**What it means.**", "**Confirm.**", "**Likely causes.**", "**Remedy.**", "\n1. "} {
					assert.Contains(t, got, part)
				}
				assert.Contains(t, got, "sfprobe run --function <fn> --phone <+E164> --checks "+tt.check)

				class, _ := Section(string(c))
				assert.Contains(t, class, `<a id="`+anchor+`"></a>`, "the subsection belongs in the %s section", c)
			})
		}
	}
}

func TestEveryAlarmHasSection(t *testing.T) {
	for _, info := range alarmname.All() {
		t.Run(info.Fragment, func(t *testing.T) {
			got, ok := Section(info.Fragment)
			require.True(t, ok, "docs/RUNBOOK.md lacks <a id=%q></a>", info.Fragment)
			assert.Contains(t, got, "### "+string(info.Kind)+"\n")
			assert.Equal(t, Path+"#"+info.Fragment, info.Kind.Anchor())
		})
	}
}

func TestPagingSectionNamesItsAlarms(t *testing.T) {
	got, ok := Section(alarmname.Paging.Fragment())
	require.True(t, ok)
	for _, k := range alarmname.PagingKinds() {
		assert.Contains(t, got, string(k))
		assert.Contains(t, got, "(#"+k.Fragment()+")")
	}
}

var runbookLink = regexp.MustCompile(`docs/RUNBOOK\.md#([A-Za-z0-9_-]+)`)

func TestRemediesPointAtSections(t *testing.T) {
	for _, c := range failure.All() {
		t.Run(string(c), func(t *testing.T) {
			info, ok := failure.Lookup(c)
			require.True(t, ok)
			links := runbookLink.FindAllStringSubmatch(info.Remedy, -1)
			require.NotEmpty(t, links, "the remedy of %s names no runbook anchor", c)
			for _, m := range links {
				_, ok := Section(m[1])
				assert.True(t, ok, "the remedy of %s points at #%s, which the runbook lacks", c, m[1])
			}
			_, ok = Section(strings.TrimPrefix(c.Anchor(), Path+"#"))
			assert.True(t, ok, "Anchor() of %s is %s", c, c.Anchor())
		})
	}
}

// TestFaultsHaveSections: the runbook's table lists every fault `sfprobe
// local --fault` injects, and the section of the check and class a fault
// fails shows how to reproduce it.
func TestFaultsHaveSections(t *testing.T) {
	for _, f := range sandbox.Faults() {
		t.Run(f.Name, func(t *testing.T) {
			row := "| `" + f.Name + "` | "
			warns := f.Check != "" && f.Class == ""
			switch {
			case warns:
				row += f.Check + " | (warns) |"
			case f.Check != "":
				row += f.Check + " | " + string(f.Class) + " |"
			}
			assert.True(t, strings.Contains(docs.Runbook, row), "the faults table lacks %q", row)
			if f.Check == "" {
				return // the fault fails no check
			}
			anchor := CheckAnchor(f.Check, f.Class)
			if warns {
				anchor = "target-health" // a warning of sfInvokeAPI's own REPORT figures
			}
			got, ok := Section(anchor)
			require.True(t, ok, "no section %s", anchor)
			assert.True(t, strings.Contains(got, "sfprobe local --fault "+f.Name), "section %s does not show --fault %s", anchor, f.Name)
		})
	}
}

var localLink = regexp.MustCompile(`\]\(#([^)]+)\)`)

func TestLinksResolve(t *testing.T) {
	for _, m := range localLink.FindAllStringSubmatch(docs.Runbook, -1) {
		_, ok := Section(m[1])
		assert.True(t, ok, "link to #%s has no anchor", m[1])
	}
}

func TestAnchorsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range anchorLine.FindAllStringSubmatch(docs.Runbook, -1) {
		assert.False(t, seen[m[1]], "<a id=%q> appears twice", m[1])
		seen[m[1]] = true
	}
	assert.Len(t, Anchors(), len(book.sections), "explicit anchors and heading slugs collide")
}

var anchorLine = regexp.MustCompile(`(?m)^<a id="([^"]+)"></a>$`)

func TestNoSecretValues(t *testing.T) {
	for _, key := range []string{"Password", "AccessToken", "ConsumerKey", "ConsumerSecret", "AuthToken"} {
		assert.NotRegexp(t, `"`+key+`"\s*:\s*"[^"<]`, docs.Runbook, "an example holds a %s value", key)
	}
}

func TestSection(t *testing.T) {
	const md = "# Title\n\nintro\n\n## one\n\ntext\n\n```sh\n# not a heading\n```\n\n<a id=\"A-one\"></a>\n### A / one\n\nsub\n\n## two\n\n## two\n"
	ix := parse(md)
	tests := []struct {
		give   string
		want   string
		wantOK bool
	}{
		{give: "one", want: "## one\n\ntext\n\n```sh\n# not a heading\n```\n\n<a id=\"A-one\"></a>\n### A / one\n\nsub\n", wantOK: true},
		{give: "A-one", want: "<a id=\"A-one\"></a>\n### A / one\n\nsub\n", wantOK: true},
		{give: "a--one", want: "### A / one\n\nsub\n", wantOK: true},
		{give: "two", want: "## two\n", wantOK: true},
		{give: "two-1", want: "## two\n", wantOK: true},
		{give: "not-a-heading", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, ok := ix.section(tt.give)
			require.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ give, want string }{
		{"auth", "auth"},
		{"unexpected-response", "unexpected-response"},
		{"PhoneLookup / auth", "phonelookup--auth"},
		{"Pause sfprobe while the API user is locked out", "pause-sfprobe-while-the-api-user-is-locked-out"},
		{"Cleanup failures and stale test Cases", "cleanup-failures-and-stale-test-cases"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Slug(tt.give), tt.give)
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		give        string
		wantHeading string
		wantNot     []string
	}{
		{give: "auth", wantHeading: "## auth\n", wantNot: []string{"## api-limit"}},
		{give: "API-LIMIT", wantHeading: "## api-limit\n"},
		{give: "PhoneLookup/auth", wantHeading: "### PhoneLookup / auth\n", wantNot: []string{"### CreateCase / auth"}},
		{give: "phonelookup / auth", wantHeading: "### PhoneLookup / auth\n"},
		{give: "KmsKey-unexpected-response", wantHeading: "### KmsKey / unexpected-response\n"},
		{give: "alarm-run-failure", wantHeading: "### RunFailure\n", wantNot: []string{"### RunLatency"}},
		{give: "RunFailure", wantHeading: "### RunFailure\n"},
		{give: "Sfprobe-RunFailure", wantHeading: "### RunFailure\n"},
		{give: "SfprobeFleet-RunFailure-prod-eu", wantHeading: "### RunFailure\n"},
		{give: "Sfprobe-CheckFailure-PhoneLookup", wantHeading: "### CheckFailure\n"},
		{give: "docs/RUNBOOK.md#not-found", wantHeading: "## not-found\n"},
		{give: "cleanup", wantHeading: "## Cleanup failures and stale test Cases\n"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Explain(&buf, tt.give))
			got := buf.String()
			assert.True(t, strings.HasPrefix(got, tt.wantHeading), "starts with %q", firstLine(got))
			assert.NotContains(t, got, "<a id=")
			assert.NotContains(t, got, "\n\n\n")
			for _, s := range tt.wantNot {
				assert.NotContains(t, got, s)
			}
		})
	}
}

func TestExplainUnknown(t *testing.T) {
	tests := []struct {
		give      string
		wantCheck string
	}{
		{give: "bogus"},
		{give: ""},
		{give: "PhoneLookup/bogus"},
		{give: "Bogus/auth"},
		{give: "Sfprobe-Bogus-prod"},
		{give: "ConnectAccess/data", wantCheck: check.ConnectAccess},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			var buf bytes.Buffer
			err := Explain(&buf, tt.give)
			var ue *UnknownError
			require.True(t, errors.As(err, &ue), "error %v", err)
			assert.Equal(t, tt.wantCheck, ue.Check)
			assert.Empty(t, buf.String())
			if tt.wantCheck == "" {
				for _, c := range failure.All() {
					assert.Contains(t, err.Error(), string(c))
				}
			} else {
				assert.Contains(t, err.Error(), "permission")
			}
		})
	}
}

func TestRender(t *testing.T) {
	give := "<a id=\"X-y\"></a>\n### X / y\n\n**Confirm.**\n\n```sh\n\n\nsfprobe run\n```\n\n\n1. step\n"
	want := "### X / y\n\n**Confirm.**\n\n```sh\n\n\nsfprobe run\n```\n\n1. step\n"
	assert.Equal(t, want, Render(give))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestEveryCauseHasALine: each name the classifier knows (what
// sfInvokeAPI raises: runtime errors, exception classes, OAuth and
// Salesforce error codes) is named in the runbook section of its class,
// and so is each AWS error code of failure's table, so on-call finds
// the cause under the class the report shows.
func TestEveryCauseHasALine(t *testing.T) {
	for _, c := range sfinvoke.Causes() {
		t.Run(c.Table+"/"+c.Name, func(t *testing.T) {
			got, ok := Section(string(c.Class))
			require.True(t, ok)
			assert.Contains(t, got, "`"+c.Name, "the %s section does not name %s", c.Class, c.Name)
		})
	}
	for _, c := range failure.AWSCodes() {
		t.Run("aws/"+c.Code, func(t *testing.T) {
			for _, class := range []failure.Class{c.Class, c.InFunction} {
				if class == "" {
					continue
				}
				got, ok := Section(string(class))
				require.True(t, ok)
				assert.Contains(t, got, "`"+c.Code+"`", "the %s section does not name %s", class, c.Code)
			}
		})
	}
}
