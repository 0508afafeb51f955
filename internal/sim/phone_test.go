package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNationalNumber_asPhonenumbers: str(phonenumbers.parse(s, None).national_number) as
// phonenumbers 8.12.57 (Debian's python3-phonenumbers) gives it.
func TestNationalNumber_asPhonenumbers(t *testing.T) {
	tests := []struct{ give, want string }{
		{"+441122334455", "1122334455"},
		{"+4401122334455", "1122334455"},
		{"+44 (0)1122 334455", "1122334455"},
		{"+114155551212", "4155551212"},
		{"+14155551212", "4155551212"},
		{"+1 (212) 555-1234", "2125551234"},
		{"+789123456789", "9123456789"},
		{"+79123456789", "9123456789"},
		{"+36061234567", "61234567"},
		{"+390612345678", "612345678"},
		{"+37086123456", "86123456"},
		{"+3758029123456", "8029123456"},
		{"+330612345678", "612345678"},
		{"+5215512345678", "5512345678"},
		{"+525512345678", "5512345678"},
		{"+610412345678", "412345678"},
		{"+49015112345678", "15112345678"},
		{"+81 03-1234-5678", "312345678"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := nationalNumber(tt.give)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestPhoneFieldMatches: a phone search word finds a phone field by its
// digit groups or its national number, never by any digit substring.
func TestPhoneFieldMatches(t *testing.T) {
	tests := []struct {
		field, word string
		want        bool
	}{
		{"+44 1122 334455", "1122334455", true},
		{"+44 1122 334455", "441122334455", true},
		{"+44 1122 334455", "334455", true},
		{"+44 1122 334455", "1122", true},
		{"+441122334455", "1122334455", true},
		{"+441122334455", "441122334455", true},
		{"(415) 555-1212", "4155551212", true},
		{"(415) 555-1212", "5551212", true},
		{"+44 1122 334455", "12233", false},
		{"+44 1122 334455", "22334455", false},
		{"+441122334455", "334455", false},
		{"+441122334455", "22334455", false},
		{"(415) 555-1212", "155512", false},
		{"01122 334455", "1122334455", false},
	}
	for _, tt := range tests {
		t.Run(tt.field+" "+tt.word, func(t *testing.T) {
			assert.Equal(t, tt.want, phoneFieldMatches(tt.field, tt.word))
		})
	}
}
