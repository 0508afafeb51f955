package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
)

func TestSeedStaleCases(t *testing.T) {
	fn, org, _, _ := newDefault(t)
	now := time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)
	got := SeedStaleCases(org, now, time.Hour)
	require.Len(t, org.Cases(), 5)

	aged := now.Add(-2 * time.Hour)
	tests := []struct {
		name        string
		give        string
		wantSubject string
		wantCreated time.Time
		wantClosed  bool
	}{
		{"aged open", got.AgedOpen, events.Subject("sfprobe-20250304T100000Z-0000a0e1"), aged, false},
		{"aged closed", got.AgedClosed, events.Subject("sfprobe-20250304T100100Z-0000a0c1"), aged.Add(time.Minute), true},
		{"fresh", got.Fresh, events.Subject("sfprobe-20250304T113000Z-0000f0e1"), now.Add(-30 * time.Minute), false},
		{"unmarked", got.Unmarked, "Printer on fire", aged, false},
		{"lookalike", got.Lookalike, "sfprobe synthetic testing of the IVR (by hand)", aged, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := org.Case(tt.give)
			require.True(t, ok)
			assert.Equal(t, tt.wantSubject, c.Subject)
			assert.Equal(t, tt.wantCreated, c.CreatedDate)
			assert.Equal(t, tt.wantClosed, c.IsClosed)
			assert.Equal(t, DefaultContactID, c.ContactID)
		})
	}
	assert.ElementsMatch(t, []string{got.AgedOpen, got.AgedClosed}, got.Swept())
	assert.ElementsMatch(t, []string{got.Fresh, got.Unmarked, got.Lookalike}, got.Untouched())

	// The sweep's query returns every Case whose Subject starts with the
	// prefix, look-alike included, with its CreatedDate.
	res := call(t, fn, render(t, events.FindCases, events.Values{}))
	require.Empty(t, res.FunctionError, "%v", res.Payload)
	assert.Equal(t, float64(4), res.Payload["sf_count"])
	var ids, created []string
	for k, v := range res.Payload {
		switch {
		case strings.HasSuffix(k, "_Id"):
			ids = append(ids, v.(string))
		case strings.HasSuffix(k, "_CreatedDate"):
			created = append(created, v.(string))
		}
	}
	assert.ElementsMatch(t, []string{got.AgedOpen, got.AgedClosed, got.Fresh, got.Lookalike}, ids)
	assert.Contains(t, created, "2025-03-04T10:00:00.000+0000")
}
