package check

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
	"github.com/sfprobe/sfprobe/internal/validate"
)

// The bounds of a sweep.
const (
	// DefaultSweepAge is how old a test Case must be before a sweep removes
	// it: a run never lasts that long.
	DefaultSweepAge = time.Hour
	// MinSweepAge is the shortest age a sweep accepts, so that it never
	// removes the Case of a run in progress.
	MinSweepAge = 5 * time.Minute
	// MaxSweepCases bounds the Cases one sweep closes or deletes (each costs
	// up to two sfInvokeAPI calls); the oldest go first.
	MaxSweepCases = 200
	// maxFailuresInARow stops a sweep whose Cases keep failing.
	maxFailuresInARow = 3
)

// SweepAPI is what the sweep needs of sfInvokeAPI.
type SweepAPI interface {
	FindCases(ctx context.Context) ([]sfinvoke.StaleCase, error)
	CloseCase(ctx context.Context, caseID string) (int, error)
	DeleteCase(ctx context.Context, caseID string) error
}

var _ SweepAPI = (*sfinvoke.Client)(nil)

// SweepConfig says which test Cases a sweep removes and how.
type SweepConfig struct {
	// Function labels the report: the sfInvokeAPI function swept through.
	Function string
	// OlderThan is the age (since CreatedDate) above which a test Case is
	// swept; at least MinSweepAge.
	OlderThan time.Duration
	// DryRun lists what the sweep would do and changes nothing.
	DryRun bool
	// KeepCases closes the open test Cases and deletes none.
	KeepCases bool
	// Limit bounds the Cases swept, 1 to MaxSweepCases; 0 means MaxSweepCases.
	Limit int
}

// Validate checks c without any AWS call and fills the default Limit.
// Errors are *validate.FieldError values joined, each naming its field.
func (c *SweepConfig) Validate() error {
	if c.Limit == 0 {
		c.Limit = MaxSweepCases
	}
	errs := []error{validate.Function("function", c.Function)}
	if c.OlderThan < MinSweepAge {
		errs = append(errs, &validate.FieldError{Field: "older_than", Msg: fmt.Sprintf(
			"%s is shorter than %s: a sweep must never remove the test Case of a run in progress", FormatAge(c.OlderThan), FormatAge(MinSweepAge))})
	}
	if c.Limit < 1 || c.Limit > MaxSweepCases {
		errs = append(errs, &validate.FieldError{Field: "limit", Msg: fmt.Sprintf("%d is not between 1 and %d", c.Limit, MaxSweepCases)})
	}
	return errors.Join(errs...)
}

// The actions a sweep takes on a test Case.
const (
	SweepCloseDelete = "close-delete" // open: close it, then delete it
	SweepDelete      = "delete"       // closed: delete it
	SweepClose       = "close"        // open, with KeepCases: close it
)

// The outcomes of a swept test Case.
const (
	SweepDone         = "done"          // the action succeeded
	SweepGone         = "gone"          // the Case was deleted before the sweep reached it
	SweepDryRun       = "dry-run"       // nothing was done (DryRun)
	SweepFailed       = "failed"        // a close or delete failed: ErrorClass and Message say why
	SweepNotAttempted = "not-attempted" // the sweep stopped first: Message says why
)

// SweptCase is one test Case a sweep acted on (or would have).
type SweptCase struct {
	ID        string    `json:"id"`
	Subject   string    `json:"subject"`
	RunID     string    `json:"run_id"`
	CreatedAt time.Time `json:"created_at"`
	WasOpen   bool      `json:"was_open"`
	// Action is SweepCloseDelete, SweepDelete or SweepClose.
	Action string `json:"action"`
	// Status is SweepDone, SweepGone, SweepDryRun, SweepFailed or SweepNotAttempted.
	Status string `json:"status"`
	// Closed and Deleted say what this sweep did to the Case.
	Closed  bool `json:"closed"`
	Deleted bool `json:"deleted"`
	// ErrorClass is set when Status is SweepFailed.
	ErrorClass failure.Class `json:"error_class,omitempty"`
	Message    string        `json:"message,omitempty"`
}

// Failed reports whether the Case was not swept as it should have been.
func (c SweptCase) Failed() bool { return c.Status == SweepFailed || c.Status == SweepNotAttempted }

// SweepReport is the outcome of a sweep: the JSON output of `sfprobe
// cleanup` (a public interface: extend, never rename). Found counts every
// Case the query returned: len(Cases) + TooRecent + Kept + Ignored + Remaining.
type SweepReport struct {
	// OK is true when every Case was swept (or there was nothing to do).
	OK       bool   `json:"ok"`
	Function string `json:"function"`
	// OlderThan is the age in Go duration syntax, e.g. "1h"; Cutoff is the
	// CreatedDate before which a Case is old enough.
	OlderThan string    `json:"older_than"`
	Cutoff    time.Time `json:"cutoff"`
	DryRun    bool      `json:"dry_run"`
	KeepCases bool      `json:"keep_cases"`
	Limit     int       `json:"limit"`
	// Found is how many Cases the query returned (Subject starting with
	// "sfprobe synthetic test").
	Found int `json:"found"`
	// TooRecent were created after Cutoff: left alone.
	TooRecent int `json:"too_recent"`
	// Kept are old enough but closed, and KeepCases keeps them.
	Kept int `json:"kept"`
	// Ignored lack a well-formed run marker or a CreatedDate: never touched.
	Ignored int `json:"ignored"`
	// Remaining are old enough but beyond Limit: left for the next sweep.
	Remaining int         `json:"remaining"`
	Cases     []SweptCase `json:"cases"`
	// SalesforceCalls counts the sweep's sfInvokeAPI invocations.
	SalesforceCalls int `json:"salesforce_calls"`
	// ErrorClass and Message say why the sweep failed as a whole or stopped
	// early (the query failed, a failure that every Case would repeat, the
	// deadline).
	ErrorClass failure.Class `json:"error_class,omitempty"`
	Message    string        `json:"message,omitempty"`
}

// finish sets OK.
func (r *SweepReport) finish() {
	if r.Cases == nil {
		r.Cases = []SweptCase{}
	}
	r.OK = r.ErrorClass == ""
	for i, c := range r.Cases {
		if c.Failed() {
			r.OK = false
		}
		r.Cases[i].Message = redact.Text(c.Message)
	}
	r.Message = redact.Text(r.Message)
}

// Sweeper removes the test Cases that runs left behind (a crash, a failed
// cleanup) through sfInvokeAPI: the `sfprobe cleanup` engine.
type Sweeper struct {
	api      SweepAPI
	now      func() time.Time
	calls    func() int
	progress func(done, total int)
	made     int
}

// SweepOption configures a Sweeper.
type SweepOption func(*Sweeper)

// WithSweepClock sets the clock the age is measured with (tests).
func WithSweepClock(now func() time.Time) SweepOption { return func(s *Sweeper) { s.now = now } }

// WithSweepCalls reads the number of sfInvokeAPI invocations that reached
// the function (sfinvoke.WithCallCounter) for the report; without it the
// report counts every call the sweep made.
func WithSweepCalls(count func() int) SweepOption { return func(s *Sweeper) { s.calls = count } }

// WithSweepProgress registers fn, called after each Case is swept.
func WithSweepProgress(fn func(done, total int)) SweepOption {
	return func(s *Sweeper) { s.progress = fn }
}

// NewSweeper returns a Sweeper over api.
func NewSweeper(api SweepAPI, opts ...SweepOption) *Sweeper {
	s := &Sweeper{api: api, now: time.Now, progress: func(int, int) {}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Sweep finds the Cases carrying an sfprobe run marker, keeps those created
// more than cfg.OlderThan ago (oldest first, at most cfg.Limit), closes the
// open ones and deletes them (KeepCases: closes only; DryRun: nothing). It
// makes no call for an invalid cfg, stops at a failure every Case would
// repeat (auth, api-limit, ...) or after three failed Cases in a row, and
// always returns a complete report.
func (s *Sweeper) Sweep(ctx context.Context, cfg SweepConfig) (rep SweepReport) {
	verr := cfg.Validate()
	rep = SweepReport{
		Function: cfg.Function, OlderThan: FormatAge(cfg.OlderThan), DryRun: cfg.DryRun,
		KeepCases: cfg.KeepCases, Limit: cfg.Limit,
	}
	start := s.made
	defer func() {
		rep.SalesforceCalls = s.made - start
		if s.calls != nil {
			rep.SalesforceCalls = s.calls()
		}
	}()
	if verr != nil {
		rep.ErrorClass, rep.Message = failure.Config, verr.Error()
		rep.finish()
		return rep
	}
	rep.Cutoff = s.now().UTC().Add(-cfg.OlderThan)

	s.made++
	found, err := s.api.FindCases(ctx)
	if err != nil {
		rep.ErrorClass, rep.Message = failure.ClassOf(err), "find sfprobe's test Cases: "+err.Error()
		rep.finish()
		return rep
	}
	rep.Found = len(found)
	var todo []SweptCase
	for _, c := range found {
		runID, marked := runIDOf(c.Subject)
		switch {
		case !marked || c.CreatedDate.IsZero():
			rep.Ignored++
		case !c.CreatedDate.Before(rep.Cutoff):
			rep.TooRecent++
		case cfg.KeepCases && c.IsClosed:
			rep.Kept++
		default:
			sc := SweptCase{ID: c.ID, Subject: c.Subject, RunID: runID, CreatedAt: c.CreatedDate.UTC(), WasOpen: !c.IsClosed}
			switch {
			case cfg.KeepCases:
				sc.Action = SweepClose
			case sc.WasOpen:
				sc.Action = SweepCloseDelete
			default:
				sc.Action = SweepDelete
			}
			todo = append(todo, sc)
		}
	}
	sort.SliceStable(todo, func(i, j int) bool {
		if !todo[i].CreatedAt.Equal(todo[j].CreatedAt) {
			return todo[i].CreatedAt.Before(todo[j].CreatedAt)
		}
		return todo[i].ID < todo[j].ID
	})
	if len(todo) > cfg.Limit {
		rep.Remaining = len(todo) - cfg.Limit
		todo = todo[:cfg.Limit]
	}

	stopped := ""
	inARow := 0
	for i := range todo {
		c := &todo[i]
		switch {
		case cfg.DryRun:
			c.Status, c.Message = SweepDryRun, "would "+strings.ReplaceAll(c.Action, "-", " and ")
			continue
		case stopped == "" && ctx.Err() != nil:
			stopped = "the deadline passed"
			rep.ErrorClass = failure.Timeout
			rep.Message = fmt.Sprintf("stopped before Case %s: the deadline passed; run the sweep again for the rest", c.ID)
		}
		if stopped != "" {
			c.Status, c.Message = SweepNotAttempted, "not attempted: "+stopped
			continue
		}
		s.sweepCase(ctx, c, cfg.KeepCases)
		s.progress(i+1, len(todo))
		if c.Status != SweepFailed {
			inARow = 0
			continue
		}
		inARow++
		switch {
		case repeats(c.ErrorClass):
			stopped = fmt.Sprintf("the sweep stopped after Case %s failed with %s", c.ID, c.ErrorClass)
			rep.ErrorClass = c.ErrorClass
			rep.Message = fmt.Sprintf("stopped after Case %s failed with %s, which every Case would repeat: fix it, then run the sweep again", c.ID, c.ErrorClass)
		case inARow >= maxFailuresInARow:
			stopped = fmt.Sprintf("the sweep stopped after %d Cases in a row failed", inARow)
			rep.ErrorClass = c.ErrorClass
			rep.Message = fmt.Sprintf("stopped after %d Cases in a row failed (the last with %s): fix the cause, then run the sweep again", inARow, c.ErrorClass)
		}
	}
	rep.Cases = todo
	rep.finish()
	return rep
}

// sweepCase closes c when it is open and deletes it (with keep: closes only).
// A close that failed for this Case alone does not prevent the delete: the
// delete removes the Case all the same.
func (s *Sweeper) sweepCase(ctx context.Context, c *SweptCase, keep bool) {
	var notes []string
	if c.WasOpen {
		s.made++
		status, err := s.api.CloseCase(ctx, c.ID)
		switch {
		case err != nil && gone(err):
			c.Status, c.Message = SweepGone, "already deleted (by a run's cleanup or another sweep)"
			return
		case err != nil && (keep || repeats(failure.ClassOf(err))):
			c.Status, c.ErrorClass, c.Message = SweepFailed, failure.ClassOf(err), "close: "+err.Error()
			return
		case err != nil:
			notes = append(notes, "close: "+err.Error())
		case status != 204 && keep:
			c.Status, c.ErrorClass = SweepFailed, failure.UnexpectedResponse
			c.Message = fmt.Sprintf("close: update returned Status %d, want 204", status)
			return
		case status != 204:
			notes = append(notes, fmt.Sprintf("close: update returned Status %d, want 204", status))
		default:
			c.Closed = true
		}
	}
	if keep {
		c.Status = SweepDone
		return
	}
	s.made++
	if err := s.api.DeleteCase(ctx, c.ID); err != nil {
		if gone(err) {
			c.Status = SweepGone
			c.Message = strings.Join(append(notes, "already deleted (by a run's cleanup or another sweep)"), "; ")
			return
		}
		c.Status, c.ErrorClass = SweepFailed, failure.ClassOf(err)
		c.Message = strings.Join(append(notes, "delete: "+err.Error()), "; ")
		return
	}
	c.Deleted, c.Status = true, SweepDone
	if len(notes) > 0 {
		c.Message = strings.Join(notes, "; ") + "; deleted all the same"
	}
}

// gone reports whether sfInvokeAPI said the Case no longer exists
// (NOT_FOUND, ENTITY_IS_DELETED): someone else deleted it since the query.
func gone(err error) bool {
	var fe *sfinvoke.FunctionError
	return failure.ClassOf(err) == failure.NotFound && errors.As(err, &fe)
}

// repeats reports whether a failure of class c would repeat for every other
// Case, so the sweep stops rather than spend API calls on it (and, for
// auth, move the API user closer to a lockout). Data, the transient classes
// and unknown may be about one Case.
func repeats(c failure.Class) bool {
	switch c {
	case failure.Auth, failure.APILimit, failure.Config, failure.Packaging, failure.Permission,
		failure.NotFound, failure.UnexpectedResponse:
		return true
	}
	return false
}

// runIDOf returns the run id in a test Case's Subject ("sfprobe synthetic
// test sfprobe-<run id>"), and false when the Subject carries no
// well-formed run marker.
func runIDOf(subject string) (string, bool) {
	marker, ok := strings.CutPrefix(subject, events.SubjectPrefix)
	if !ok || !events.ValidMarker(marker) {
		return "", false
	}
	return strings.TrimPrefix(marker, events.MarkerPrefix), true
}

// FormatAge renders d in Go duration syntax without zero trailing units:
// "1h", "1h30m", "5m", "90h".
func FormatAge(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
