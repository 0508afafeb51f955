// Package runbook reads sfprobe's runbook, docs/RUNBOOK.md, embedded in the
// binary: its sections by anchor, and the terminal rendering behind
// `sfprobe explain`.
//
// A section is introduced either by a heading, whose anchor is its GitHub
// slug ("## auth" is #auth), or by an explicit `<a id="..."></a>` line just
// before a heading ("PhoneLookup-auth", "alarm-run-failure"). It runs up to
// the next heading of the same or a higher level.
package runbook

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/sfprobe/sfprobe/docs"
	"github.com/sfprobe/sfprobe/internal/alarmname"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// Path is the runbook's path in the repository, the prefix of its links.
const Path = alarmname.RunbookPath

var (
	headingRe = regexp.MustCompile(`^(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	anchorRe  = regexp.MustCompile(`^[ \t]*<a id="([^"]+)"></a>[ \t]*$`)
)

// section is one anchored span of the runbook's lines.
type section struct {
	anchor string
	level  int
	// head is the line of the section's heading: start for a heading's own
	// anchor, the next heading for an explicit one (len(lines) if none).
	head       int
	start, end int // lines[start:end]
}

// index is the parsed runbook.
type index struct {
	lines    []string
	sections []section // document order
	byAnchor map[string]int
}

var book = parse(docs.Runbook)

// parse indexes md's sections. Lines inside fenced code blocks are never
// headings or anchors (a shell comment is not a heading).
func parse(md string) *index {
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	ix := &index{lines: lines, byAnchor: map[string]int{}}
	type heading struct{ line, level int }
	var headings []heading
	var pending []int // explicit anchors waiting for their heading: section indices
	slugs := map[string]int{}
	fence := ""
	add := func(anchor string, level, start int) int {
		ix.sections = append(ix.sections, section{anchor: anchor, level: level, head: start, start: start})
		i := len(ix.sections) - 1
		if _, dup := ix.byAnchor[anchor]; !dup {
			ix.byAnchor[anchor] = i
		}
		return i
	}
	for n, line := range lines {
		if fence != "" {
			if strings.HasPrefix(strings.TrimLeft(line, " "), fence) {
				fence = ""
			}
			continue
		}
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case strings.HasPrefix(trimmed, "```"):
			fence = "```"
		case strings.HasPrefix(trimmed, "~~~"):
			fence = "~~~"
		}
		if fence != "" {
			continue
		}
		if m := anchorRe.FindStringSubmatch(line); m != nil {
			pending = append(pending, add(m[1], 0, n))
			continue
		}
		m := headingRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		level := len(m[1])
		for _, i := range pending {
			ix.sections[i].level, ix.sections[i].head = level, n
		}
		pending = nil
		slug := Slug(m[2])
		if k := slugs[slug]; k > 0 {
			slugs[slug] = k + 1
			slug = fmt.Sprintf("%s-%d", slug, k)
		} else {
			slugs[slug] = 1
		}
		add(slug, level, n)
		headings = append(headings, heading{n, level})
	}
	// An anchor with no heading after it runs to the end.
	for _, i := range pending {
		ix.sections[i].level, ix.sections[i].head = 1, len(lines)
	}
	for i := range ix.sections {
		s := &ix.sections[i]
		s.end = len(lines)
		for _, h := range headings {
			if h.line > s.head && h.level <= s.level {
				s.end = h.line
				break
			}
		}
	}
	return ix
}

// Slug is GitHub's anchor for a heading's text: lower case, punctuation
// other than hyphens and underscores dropped, spaces turned into hyphens.
func Slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Section returns the markdown of the section anchor introduces, up to the
// next heading of the same or a higher level, and false when the runbook
// has no such anchor.
func Section(anchor string) (string, bool) { return book.section(anchor) }

func (ix *index) section(anchor string) (string, bool) {
	i, ok := ix.byAnchor[anchor]
	if !ok {
		return "", false
	}
	s := ix.sections[i]
	return strings.TrimRight(strings.Join(ix.lines[s.start:s.end], "\n"), "\n") + "\n", true
}

// Anchors returns every anchor of the runbook, headings' and explicit ones,
// in document order.
func Anchors() []string {
	out := make([]string, 0, len(book.sections))
	seen := map[string]bool{}
	for _, s := range book.sections {
		if !seen[s.anchor] {
			seen[s.anchor] = true
			out = append(out, s.anchor)
		}
	}
	return out
}

// CheckAnchor is the anchor of check failing with class c, e.g.
// "PhoneLookup-auth".
func CheckAnchor(checkName string, c failure.Class) string { return checkName + "-" + string(c) }

// UnknownError is Explain's error for an argument that names no section.
type UnknownError struct {
	Arg string
	// Check is set when Arg named a known check with a class it has no
	// section for.
	Check string
}

func (e *UnknownError) Error() string {
	if e.Check != "" {
		return fmt.Sprintf("%q: %s cannot fail with that class; its classes: %s",
			e.Arg, e.Check, strings.Join(checkClasses(e.Check), ", "))
	}
	return fmt.Sprintf("%q is not a failure class, CHECK/CLASS or alarm; classes: %s; checks: %s; alarms: %s",
		e.Arg, strings.Join(classNames(), ", "), strings.Join(check.Names(), ", "), strings.Join(alarmFragments(), ", "))
}

// Explain writes the runbook section arg names, rendered for a terminal:
// a failure class ("auth"), a check and class ("PhoneLookup/auth" or
// "PhoneLookup-auth"), an alarm ("alarm-run-failure" or "RunFailure"), any
// other anchor of the runbook, or a runbook link ("docs/RUNBOOK.md#auth").
// An argument that names no section is an *UnknownError listing the known
// classes.
func Explain(w io.Writer, arg string) error {
	anchor, err := resolve(arg)
	if err != nil {
		return err
	}
	text, _ := Section(anchor)
	if _, err := fmt.Fprintf(w, "%s\n(%s#%s)\n", Render(text), Path, anchor); err != nil {
		return fmt.Errorf("write runbook section %s: %w", anchor, err)
	}
	return nil
}

// resolve turns Explain's argument into an anchor that has a section.
func resolve(arg string) (string, error) {
	s := strings.TrimSpace(arg)
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	unknown := &UnknownError{Arg: arg}
	if s == "" {
		return "", unknown
	}
	if c, ok := parseClass(s); ok {
		return string(c), nil
	}
	if name, rest, ok := splitCheck(s); ok {
		c, ok := parseClass(rest)
		if !ok {
			return "", unknown
		}
		anchor := CheckAnchor(name, c)
		if _, ok := Section(anchor); !ok {
			return "", &UnknownError{Arg: arg, Check: name}
		}
		return anchor, nil
	}
	for _, info := range alarmname.All() {
		if strings.EqualFold(s, info.Fragment) || strings.EqualFold(s, string(info.Kind)) {
			if _, ok := Section(info.Fragment); ok {
				return info.Fragment, nil
			}
		}
	}
	for _, a := range Anchors() {
		if strings.EqualFold(s, a) {
			return a, nil
		}
	}
	// A full alarm name as the page names it: <stack>-<Kind>[-<detail>].
	if parts := strings.Split(s, "-"); len(parts) > 1 {
		for _, part := range parts[1:] {
			for _, info := range alarmname.All() {
				if part == string(info.Kind) {
					if _, ok := Section(info.Fragment); ok {
						return info.Fragment, nil
					}
				}
			}
		}
	}
	return "", unknown
}

func parseClass(s string) (failure.Class, bool) {
	c, err := failure.Parse(strings.ToLower(strings.TrimSpace(s)))
	return c, err == nil
}

// splitCheck splits "Check/class", "Check / class" or "Check-class" whose
// check is known (case-insensitively) into the check's name and the rest.
func splitCheck(s string) (name, rest string, ok bool) {
	for _, sep := range []string{"/", "-"} {
		head, tail, found := strings.Cut(s, sep)
		if !found {
			continue
		}
		for _, n := range check.Names() {
			if strings.EqualFold(strings.TrimSpace(head), n) {
				return n, tail, true
			}
		}
	}
	return "", "", false
}

// Render prepares a section's markdown for a terminal: it drops the
// explicit anchor lines and the blank lines they leave, and keeps the
// markdown otherwise.
func Render(md string) string {
	var out []string
	blank := true // drop leading blank lines
	fence := false
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = !fence
		}
		if !fence && anchorRe.MatchString(line) {
			continue
		}
		isBlank := strings.TrimSpace(line) == ""
		if isBlank && blank && !fence {
			continue
		}
		blank = isBlank
		out = append(out, line)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

func classNames() []string {
	var out []string
	for _, c := range failure.All() {
		out = append(out, string(c))
	}
	return out
}

// checkClasses lists the classes the runbook has a section for in check.
func checkClasses(checkName string) []string {
	var out []string
	for _, c := range failure.All() {
		if _, ok := Section(CheckAnchor(checkName, c)); ok {
			out = append(out, string(c))
		}
	}
	sort.Strings(out)
	return out
}

func alarmFragments() []string {
	var out []string
	for _, info := range alarmname.All() {
		out = append(out, info.Fragment)
	}
	return out
}
