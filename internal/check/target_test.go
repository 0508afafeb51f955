package check_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/validate"
)

func TestNames(t *testing.T) {
	assert.Equal(t, []string{"TargetConfig", "SecretAccess", "KmsKey", "ConnectAccess", "SalesforceLogin", "PhoneLookup", "CreateCase", "CloseCase", "VerifyCaseClosed"}, check.Names())
	for _, n := range check.ChainChecks {
		assert.True(t, check.IsChain(n), n)
	}
	for _, n := range check.AWSChecks {
		assert.False(t, check.IsChain(n), n)
	}
	names := check.Names()
	names[0] = "changed"
	assert.Equal(t, check.TargetConfig, check.Names()[0], "Names returns a copy")
}

func TestParseNames(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []string
		wantErr []string
	}{
		{name: "empty selects all", give: "", want: check.Names()},
		{name: "blank selects all", give: "  ", want: check.Names()},
		{name: "one", give: "PhoneLookup", want: []string{check.PhoneLookup}},
		{name: "several with spaces", give: "KmsKey, PhoneLookup ,TargetConfig", want: []string{check.KmsKey, check.PhoneLookup, check.TargetConfig}},
		{name: "duplicates", give: "KmsKey,KmsKey", want: []string{check.KmsKey}},
		{name: "unknown", give: "PhoneLookup,Nope", wantErr: []string{"--checks", `unknown check "Nope"`, "known: TargetConfig, SecretAccess"}},
		{name: "wrong case", give: "phonelookup", wantErr: []string{`unknown check "phonelookup"`}},
		{name: "empty item", give: "PhoneLookup,,KmsKey", wantErr: []string{`unknown check ""`}},
		{name: "trailing comma", give: "PhoneLookup,", wantErr: []string{`unknown check ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := check.ParseNames(tt.give)
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, m := range tt.wantErr {
					assert.Contains(t, err.Error(), m)
				}
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTargetValidate(t *testing.T) {
	valid := func() check.Target {
		return check.Target{
			Function:           fnName,
			Phone:              testPhone,
			Fields:             "Id, Name",
			SecretARN:          secretARN,
			KMSKeyARN:          keyARN,
			ConnectInstanceARN: instanceX,
			Name:               "prod-eu",
		}
	}
	tests := []struct {
		name       string
		give       func(*check.Target)
		wantFields []string
		wantText   []string
	}{
		{name: "valid", give: func(*check.Target) {}},
		{name: "function ARN", give: func(tg *check.Target) {
			tg.Function = "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI-prod:live"
		}},
		{name: "no function", give: func(tg *check.Target) { tg.Function = "" }, wantFields: []string{"function"}, wantText: []string{"required"}},
		{name: "bad function", give: func(tg *check.Target) { tg.Function = "sf invoke" }, wantFields: []string{"function"}},
		{name: "no phone", give: func(tg *check.Target) { tg.Phone = "" }, wantFields: []string{"phone"}, wantText: []string{"E.164"}},
		{name: "phone without +", give: func(tg *check.Target) { tg.Phone = "441122334455" }, wantFields: []string{"phone"}},
		{name: "fields without Id", give: func(tg *check.Target) { tg.Fields = "Name, Email" }, wantFields: []string{"fields"}, wantText: []string{"must include Id"}},
		{name: "fields without the space", give: func(tg *check.Target) { tg.Fields = "Id,Name" }, wantFields: []string{"fields"}, wantText: []string{`", "`}},
		{name: "bad secret ARN", give: func(tg *check.Target) { tg.SecretARN = "sfCredentials" }, wantFields: []string{"secret_arn"}},
		{name: "bad KMS key ARN", give: func(tg *check.Target) { tg.KMSKeyARN = keyID }, wantFields: []string{"kms_key_arn"}},
		{name: "bad Connect instance ARN", give: func(tg *check.Target) { tg.ConnectInstanceARN = "instance/x" }, wantFields: []string{"connect_instance_arn"}},
		{name: "bad name", give: func(tg *check.Target) { tg.Name = "prod eu" }, wantFields: []string{"name"}},
		{
			name:       "several at once",
			give:       func(tg *check.Target) { tg.Function, tg.Phone, tg.SecretARN = "", "123", "x" },
			wantFields: []string{"function", "phone", "secret_arn"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := valid()
			tt.give(&tg)
			err := tg.Validate()
			if tt.wantFields == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var got []string
			for _, e := range unjoin(err) {
				var fe *validate.FieldError
				require.True(t, errors.As(e, &fe), "%T is not a *validate.FieldError", e)
				got = append(got, fe.Field)
				assert.True(t, strings.HasPrefix(e.Error(), fe.Field+": "), "the message names the field: %s", e)
			}
			assert.Equal(t, tt.wantFields, got)
			for _, m := range tt.wantText {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestTargetValidate_defaultsFields(t *testing.T) {
	tg := check.Target{Function: fnName, Phone: testPhone}
	require.NoError(t, tg.Validate())
	assert.Equal(t, "Id, Name", tg.Fields)
}

func TestTargetValidateFor_phoneOnlyForTheChain(t *testing.T) {
	tg := check.Target{Function: fnName}
	require.NoError(t, tg.ValidateFor(false))

	tg.Phone = "bad"
	err := tg.ValidateFor(false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "phone: ")

	err = (&check.Target{Function: fnName}).ValidateFor(true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "phone: ")
}

func TestTargetLabel(t *testing.T) {
	tests := []struct {
		give check.Target
		want string
	}{
		{give: check.Target{Function: "sfInvokeAPI"}, want: "sfInvokeAPI"},
		{give: check.Target{Function: "sfInvokeAPI:live"}, want: "sfInvokeAPI"},
		{give: check.Target{Function: "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI"}, want: "sfInvokeAPI"},
		{give: check.Target{Function: "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI:7"}, want: "sfInvokeAPI"},
		{give: check.Target{Function: "sfInvokeAPI", Name: "prod-eu"}, want: "prod-eu"},
	}
	for _, tt := range tests {
		t.Run(tt.want+" from "+tt.give.Function, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.give.Label())
		})
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{give: "+441122334455", want: "+********4455"},
		{give: "+15005550006", want: "+*******0006"},
		{give: "5551234", want: "***1234"},
		{give: "12345", want: "*2345"},
		{give: "1234", want: "****"},
		{give: "+12", want: "***"},
		{give: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got := check.MaskPhone(tt.give)
			assert.Equal(t, tt.want, got)
			assert.Len(t, got, len(tt.give), "the mask keeps the length")
		})
	}
}

func TestReportFinish(t *testing.T) {
	tests := []struct {
		name       string
		give       []check.Result
		wantOK     bool
		wantFailed []string
	}{
		{name: "no checks", give: nil, wantOK: true},
		{name: "pass, warn and skip", give: []check.Result{
			{Name: check.TargetConfig, Status: check.Pass}, {Name: check.KmsKey, Status: check.Warn}, {Name: check.CreateCase, Status: check.Skip},
		}, wantOK: true},
		{name: "failures", give: []check.Result{
			{Name: check.TargetConfig, Status: check.Fail}, {Name: check.KmsKey, Status: check.Warn}, {Name: check.PhoneLookup, Status: check.Fail},
		}, wantOK: false, wantFailed: []string{check.TargetConfig, check.PhoneLookup}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := check.Report{Checks: tt.give}
			rep.Finish()
			assert.Equal(t, tt.wantOK, rep.OK)
			assert.NotNil(t, rep.Checks)
			assert.Equal(t, tt.wantFailed, rep.FailedChecks())
		})
	}
}
