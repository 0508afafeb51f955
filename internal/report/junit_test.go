package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// junitXSD is a copy of /work/shared/data/junit-10.xsd, the Jenkins xUnit
// plugin's schema, so the test needs nothing outside the repository.
const junitXSD = "testdata/junit-10.xsd"

// validateJUnit validates doc against junitXSD with xmllint. Without xmllint
// the test is skipped, unless SFPROBE_REQUIRE_TOOLS is set.
func validateJUnit(t *testing.T, doc []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("SFPROBE_REQUIRE_TOOLS") != "" {
			t.Fatalf("xmllint not on PATH (install libxml2-utils): %v", err)
		}
		t.Skip("xmllint not on PATH; install libxml2-utils, or set SFPROBE_REQUIRE_TOOLS to fail instead")
	}
	path := filepath.Join(t.TempDir(), "junit.xml")
	require.NoError(t, os.WriteFile(path, doc, 0o600))
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", junitXSD, path).CombinedOutput()
	require.NoError(t, err, "xmllint: %s\ndocument:\n%s", out, doc)
}

// The decoded shape of the document, for assertions on its content.
type (
	gotSuites struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Suites   []gotSuite `xml:"testsuite"`
	}
	gotSuite struct {
		Name      string    `xml:"name,attr"`
		Tests     int       `xml:"tests,attr"`
		Failures  int       `xml:"failures,attr"`
		Errors    int       `xml:"errors,attr"`
		Skipped   int       `xml:"skipped,attr"`
		Time      string    `xml:"time,attr"`
		Timestamp string    `xml:"timestamp,attr"`
		Cases     []gotCase `xml:"testcase"`
	}
	gotCase struct {
		Name      string      `xml:"name,attr"`
		Classname string      `xml:"classname,attr"`
		Time      string      `xml:"time,attr"`
		Failure   *gotMessage `xml:"failure"`
		Skipped   *gotMessage `xml:"skipped"`
	}
	gotMessage struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

func TestWriteJUnit(t *testing.T) {
	tests := []struct {
		name         string
		give         []check.Report
		wantTests    int
		wantFailures int
		wantSkipped  []int
	}{
		{name: "passing", give: []check.Report{passingReport()}, wantTests: 8, wantSkipped: []int{0}},
		{name: "failing", give: []check.Report{failingReport()}, wantTests: 8, wantFailures: 1, wantSkipped: []int{3}},
		{name: "multi-target", give: []check.Report{passingReport(), failingReport()}, wantTests: 16, wantFailures: 1, wantSkipped: []int{0, 3}},
		{name: "no reports", give: nil, wantSkipped: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if len(tt.give) == 1 {
				require.NoError(t, Write(&buf, tt.give[0], JUnit))
			} else {
				require.NoError(t, WriteJUnitMulti(&buf, tt.give))
			}
			assert.True(t, strings.HasPrefix(buf.String(), xml.Header), "starts with the XML declaration")
			assert.True(t, strings.HasSuffix(buf.String(), "</testsuites>\n"), "ends with a newline")
			validateJUnit(t, buf.Bytes())

			var got gotSuites
			require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
			assert.Equal(t, "sfprobe", got.Name)
			assert.Equal(t, tt.wantTests, got.Tests)
			assert.Equal(t, tt.wantFailures, got.Failures)
			assert.Zero(t, got.Errors)
			require.Len(t, got.Suites, len(tt.give))
			for i, s := range got.Suites {
				r := tt.give[i]
				assert.Equal(t, "sfprobe", s.Name)
				assert.Equal(t, len(r.Checks), s.Tests)
				assert.Equal(t, len(r.FailedChecks()), s.Failures)
				assert.Zero(t, s.Errors)
				assert.Equal(t, tt.wantSkipped[i], s.Skipped)
				assert.Equal(t, "2025-03-04T05:06:07", s.Timestamp)
				require.Len(t, s.Cases, len(r.Checks))
				for j, c := range s.Cases {
					assert.Equal(t, r.Checks[j].Name, c.Name)
					assert.Equal(t, "sfprobe."+r.Target, c.Classname)
				}
			}
		})
	}
}

func TestWriteJUnitFailureDetails(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, failingReport(), JUnit))
	var got gotSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
	require.Len(t, got.Suites, 1)
	cases := got.Suites[0].Cases

	lookup := cases[4]
	assert.Equal(t, check.PhoneLookup, lookup.Name)
	assert.Equal(t, "0.420", lookup.Time)
	require.NotNil(t, lookup.Failure)
	assert.Equal(t, "[auth] INVALID_LOGIN: invalid username, password, security token", lookup.Failure.Message)
	assert.Equal(t, "auth", lookup.Failure.Type)
	assert.Equal(t, "class: auth\n"+
		"message: INVALID_LOGIN: invalid username, password, security token\n"+
		"remedy: "+failure.Auth.Remedy()+"\n"+
		"runbook: docs/RUNBOOK.md#auth", lookup.Failure.Text)

	create := cases[5]
	require.NotNil(t, create.Skipped)
	assert.Equal(t, "PhoneLookup failed", create.Skipped.Message)
	assert.Nil(t, create.Failure)

	assert.Nil(t, cases[0].Failure)
	assert.Nil(t, cases[0].Skipped)
}

func TestWriteJUnitEscapes(t *testing.T) {
	nasty := "a <b> & \"c\" 'd' ]]> \x00\x01\x07\x1b[31m\x7f \r\n\ttab \xff end"
	r := failingReport()
	r.Target = "prod <&\"'> \x1b"
	r.RunID = "run \x00 <1>"
	r.Checks[4].Message = nasty
	r.Checks[5].Message = nasty
	r.Checks[0].Message = nasty
	r.Cleanup = check.Cleanup{Status: check.CleanupFailed, CaseID: "<500>", ErrorClass: failure.Data, Message: nasty}

	var buf bytes.Buffer
	require.NoError(t, WriteJUnitMulti(&buf, []check.Report{r, passingReport()}))
	validateJUnit(t, buf.Bytes())

	var got gotSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
	require.Len(t, got.Suites, 2)
	fail := got.Suites[0].Cases[4].Failure
	require.NotNil(t, fail)
	assert.Contains(t, fail.Message, `[auth] a <b> & "c" 'd' ]]> `)
	assert.Contains(t, fail.Text, `message: a <b> & "c" 'd' ]]> `)
	assert.NotContains(t, buf.String(), "\x00")
	assert.NotContains(t, buf.String(), "\x1b")
}
