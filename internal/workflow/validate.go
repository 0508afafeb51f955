package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

type stateDoc struct {
	Type           string          `json:"Type"`
	Next           string          `json:"Next"`
	End            bool            `json:"End"`
	Default        string          `json:"Default"`
	TimeoutSeconds *int            `json:"TimeoutSeconds"`
	Choices        []choiceDoc     `json:"Choices"`
	Retry          []retryDoc      `json:"Retry"`
	Catch          []catchDoc      `json:"Catch"`
	Branches       []machineDoc    `json:"Branches"`
	ItemProcessor  *machineDoc     `json:"ItemProcessor"`
	Resource       string          `json:"Resource"`
	Parameters     json.RawMessage `json:"Parameters"`
}

type choiceDoc struct {
	Next string `json:"Next"`
}

type retryDoc struct {
	ErrorEquals []string `json:"ErrorEquals"`
	MaxAttempts *int     `json:"MaxAttempts"`
}

type catchDoc struct {
	ErrorEquals []string `json:"ErrorEquals"`
	Next        string   `json:"Next"`
}

type machineDoc struct {
	StartAt string              `json:"StartAt"`
	States  map[string]stateDoc `json:"States"`
}

var stateTypes = map[string]bool{"Task": true, "Pass": true, "Choice": true, "Parallel": true, "Map": true, "Wait": true, "Succeed": true, "Fail": true}

// Validate checks the structure of an ASL document the way sfprobe relies
// on it: StartAt and every Next, Default and Catch target resolve within
// their scope, every state is reachable, every non-terminal state has Next or
// End, every Task has a TimeoutSeconds, and Retry names only TransientErrors.
func Validate(doc string) error {
	var m struct {
		machineDoc
		QueryLanguage string `json:"QueryLanguage"`
	}
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return fmt.Errorf("definition is not JSON: %w", err)
	}
	if m.QueryLanguage != "" && m.QueryLanguage != "JSONPath" {
		return fmt.Errorf("QueryLanguage is %q, want JSONPath (moto's JSONata support is broken)", m.QueryLanguage)
	}
	return errors.Join(validateMachine("", m.machineDoc)...)
}

func validateMachine(scope string, m machineDoc) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(scope+format, args...)) }
	if len(m.States) == 0 {
		bad("no States")
		return errs
	}
	if _, ok := m.States[m.StartAt]; !ok {
		bad("StartAt %q is not a state", m.StartAt)
	}
	transient := map[string]bool{}
	for _, e := range TransientErrors {
		transient[e] = true
	}
	names := make([]string, 0, len(m.States))
	for n := range m.States {
		names = append(names, n)
	}
	sort.Strings(names)
	edges := map[string][]string{}
	target := func(from, what, to string) {
		if _, ok := m.States[to]; !ok {
			bad("state %q: %s %q is not a state in its scope", from, what, to)
			return
		}
		edges[from] = append(edges[from], to)
	}
	for _, n := range names {
		s := m.States[n]
		if !stateTypes[s.Type] {
			bad("state %q: unknown Type %q", n, s.Type)
			continue
		}
		switch s.Type {
		case "Choice":
			if len(s.Choices) == 0 {
				bad("state %q: Choice without Choices", n)
			}
			for _, c := range s.Choices {
				target(n, "choice Next", c.Next)
			}
			if s.Default == "" {
				bad("state %q: Choice without Default (moto and AWS disagree on no match)", n)
			} else {
				target(n, "Default", s.Default)
			}
		case "Succeed", "Fail":
		default:
			switch {
			case s.Next != "" && s.End:
				bad("state %q: both Next and End", n)
			case s.Next != "":
				target(n, "Next", s.Next)
			case !s.End:
				bad("state %q: neither Next nor End", n)
			}
		}
		if s.Type == "Task" && (s.TimeoutSeconds == nil || *s.TimeoutSeconds <= 0) {
			bad("state %q: Task without TimeoutSeconds", n)
		}
		for _, r := range s.Retry {
			for _, e := range r.ErrorEquals {
				if !transient[e] {
					bad("state %q: Retry names %q, which is not a transient error", n, e)
				}
			}
		}
		for _, c := range s.Catch {
			target(n, "Catch Next", c.Next)
		}
		for i, b := range s.Branches {
			errs = append(errs, validateMachine(fmt.Sprintf("%s%s.Branches[%d]: ", scope, n, i), b)...)
		}
		if s.ItemProcessor != nil {
			errs = append(errs, validateMachine(fmt.Sprintf("%s%s.ItemProcessor: ", scope, n), *s.ItemProcessor)...)
		}
	}
	seen := map[string]bool{m.StartAt: true}
	queue := []string{m.StartAt}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, to := range edges[n] {
			if !seen[to] {
				seen[to] = true
				queue = append(queue, to)
			}
		}
	}
	for _, n := range names {
		if !seen[n] {
			bad("state %q is unreachable", n)
		}
	}
	return errs
}
