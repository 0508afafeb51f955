package check

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
)

const tokenURL = "/services/oauth2/token?grant_type=password&client_id=3MVG9key&client_secret=s3cret&username=u%40x.example&password=pw%21tok"

func TestResultsAreBuiltRedacted(t *testing.T) {
	tests := []struct {
		name string
		give Result
	}{
		{"failed", failed(PhoneLookup, failure.Network, "raised ConnectionError: "+tokenURL)},
		{"failedErr", failedErr(PhoneLookup, failure.Wrap(failure.Network, "invoke", errors.New(tokenURL)))},
		{"warned", warned(SecretAccess, "Bearer 00D5g000004ABCD!AQEAQtoken")},
		{"passed", passed(SecretAccess, `{"ConsumerSecret": "abc"}`)},
		{"skipped", skipped(KmsKey, "access_token=abc.def")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotContains(t, tt.give.Message, "s3cret")
			assert.NotContains(t, tt.give.Message, "pw%21tok")
			assert.NotContains(t, tt.give.Message, "AQEAQtoken")
			assert.NotContains(t, tt.give.Message, "abc")
			assert.Contains(t, tt.give.Message, redact.Marker)
		})
	}
}

func TestRemedyCarriedByTheErrorWins(t *testing.T) {
	err := &failure.Error{Class: failure.Network, Msg: "invoke", Err: errors.New("x"), Remedy: "open login.salesforce.com:443"}
	got := failedErr(PhoneLookup, failure.Wrap(failure.Network, "outer", err))
	assert.Equal(t, "open login.salesforce.com:443", got.Remediation)
	assert.Equal(t, failure.Network.Remedy(), failedErr(PhoneLookup, failure.New(failure.Network, "y")).Remediation)
}

// TestRedactionKeepsSfprobesOwnTexts: the remedies and the texts sfprobe
// writes itself pass the redactor unchanged (a redactor that ate them
// would hide the remedy from on-call).
func TestRedactionKeepsSfprobesOwnTexts(t *testing.T) {
	for _, c := range failure.All() {
		r := failed(PhoneLookup, c, "x").Redacted()
		assert.Equal(t, c.Remedy(), r.Remediation, c)
	}
}

func TestReportRedacted(t *testing.T) {
	r := Report{
		Checks:  []Result{{Name: PhoneLookup, Message: tokenURL}},
		Cleanup: Cleanup{Message: "delete: Bearer 00D5g000004ABCD!AQEAQtoken"},
		Error:   "publish-metrics failed: " + tokenURL,
	}
	got := r.Redacted()
	assert.NotContains(t, got.Checks[0].Message, "s3cret")
	assert.NotContains(t, got.Cleanup.Message, "AQEAQtoken")
	assert.NotContains(t, got.Error, "s3cret")
	assert.Contains(t, r.Checks[0].Message, "s3cret", "the original is not written to")
	f := Fleet{Targets: []Report{r}}.Redacted()
	assert.NotContains(t, f.Targets[0].Checks[0].Message, "s3cret")
}
