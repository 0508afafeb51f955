package handler

import (
	"sync"

	"github.com/sfprobe/sfprobe/internal/check"
)

// Regions gives a target the clients of its function's region: a targets
// file may list deployments in several regions, and a Lambda client only
// calls functions in its own region. Cross-account targets need no more
// than their ARNs (and the resource policies that let sfprobe's roles in).
type Regions struct {
	home  string
	build func(region string) check.Deps

	mu   sync.Mutex
	deps map[string]check.Deps
}

// NewRegions serves home's targets with the handler's own Deps and builds
// the clients of any other region once, with build.
func NewRegions(home string, build func(region string) check.Deps) *Regions {
	return &Regions{home: home, build: build, deps: map[string]check.Deps{}}
}

// depsFor returns the dependencies for t: home's, unless t's function ARN
// names another region.
func depsFor(home check.Deps, r *Regions, t check.Target) check.Deps {
	region := check.FunctionRegion(t.Function)
	if r == nil || region == "" || region == r.home {
		return home
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.deps[region]
	if !ok {
		d = r.build(region)
		r.deps[region] = d
	}
	return d
}
