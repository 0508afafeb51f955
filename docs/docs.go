// Package docs holds the documents sfprobe's binaries carry with them, so
// that they can show them without a path to the repository at run time.
package docs

import _ "embed" // for go:embed

// Runbook is docs/RUNBOOK.md: a section per failure class, per check and
// class, and per alarm. Read it by anchor with internal/runbook.
//
//go:embed RUNBOOK.md
var Runbook string
