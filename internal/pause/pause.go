// Package pause is sfprobe's pause switch: an SSM parameter that the
// workflow reads first. While it says paused (and has not expired), a run
// ends at once as skipped and publishes the Paused metric instead of
// probing: on-call pauses sfprobe while, for example, the Salesforce API user
// is locked out, so sfprobe does not keep locking it.
package pause

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// State is the parameter's value, stored as JSON.
type State struct {
	Paused bool   `json:"paused"`
	Reason string `json:"reason,omitempty"`
	// Until, when set, ends the pause by itself.
	Until *time.Time `json:"until,omitempty"`
	By    string     `json:"by,omitempty"`
	At    *time.Time `json:"at,omitempty"`
}

// Resumed is the parameter's value when sfprobe runs.
var Resumed = State{Paused: false}

// Parse reads a parameter value. Anything but a JSON object that says
// "paused": true means not paused, so a mistyped value fails open (the run
// goes on and the alarms stay armed).
func Parse(value string) (State, error) {
	var s State
	if err := json.Unmarshal([]byte(value), &s); err != nil {
		return State{}, fmt.Errorf("pause parameter: %q is not a JSON object like {\"paused\": true}", truncate(value))
	}
	return s, nil
}

// Active reports whether s pauses a run that starts at now.
func (s State) Active(now time.Time) bool {
	return s.Paused && (s.Until == nil || now.Before(*s.Until))
}

// Encode returns the parameter value of s.
func (s State) Encode() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// String describes s for people.
func (s State) String() string {
	if !s.Paused {
		return "running (not paused)"
	}
	out := "paused"
	if s.Reason != "" {
		out += ": " + s.Reason
	}
	if s.Until != nil {
		out += " (until " + s.Until.UTC().Format(time.RFC3339) + ")"
	}
	if s.By != "" {
		out += " by " + s.By
	}
	return out
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// ParameterAPI is SSM as the switch needs it.
type ParameterAPI interface {
	GetParameter(ctx context.Context, params *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, params *ssm.PutParameterInput, optFns ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

var _ ParameterAPI = (*ssm.Client)(nil)

// Read returns the switch's state; a missing parameter means running.
func Read(ctx context.Context, api ParameterAPI, name string) (State, error) {
	out, err := api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var nf *ssmtypes.ParameterNotFound
	if errors.As(err, &nf) {
		return Resumed, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("read pause parameter %s: %w", name, err)
	}
	return Parse(aws.ToString(out.Parameter.Value))
}

// Write sets the switch.
func Write(ctx context.Context, api ParameterAPI, name string, s State) error {
	_, err := api.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(s.Encode()), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
		Description: aws.String("sfprobe pause switch: {\"paused\": true} skips the scheduled runs (sfprobe pause / sfprobe resume)"),
	})
	if err != nil {
		return fmt.Errorf("write pause parameter %s: %w", name, err)
	}
	return nil
}

// ValidateName checks an SSM parameter name.
func ValidateName(field, name string) error {
	if name == "" || len(name) > 1011 || strings.ContainsAny(name, " \t\n") || (strings.Contains(name, "/") && !strings.HasPrefix(name, "/")) {
		return fmt.Errorf("%s: %q is not an SSM parameter name (want e.g. /sfprobe/<stack>/paused)", field, name)
	}
	return nil
}
