package sandboxtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sim"
)

// Secret is a value that must never leave the credentials secret. Core, when
// set, is a random part of Value that any encoding leaving letters and
// digits alone (JSON or URL escaping) keeps.
type Secret struct {
	Name, Value, Core string
}

// Sentinels are distinct random values for every key of sfInvokeAPI's
// credentials secret: provision a sandbox with Options and search
// everything a run lets out for them.
type Sentinels struct {
	Credentials sim.Credentials
	AuthToken   string
	secrets     []Secret
}

// NewSentinels makes the sentinels of one test. Each value ends in "+/=" so
// its URL-encoded form differs from it.
func NewSentinels(tb testing.TB) Sentinels {
	tb.Helper()
	var s Sentinels
	gen := func(key, tag string) string {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			tb.Fatalf("sentinel: %v", err)
		}
		core := hex.EncodeToString(b[:])
		v := "SENTINEL-" + tag + "-" + core + "+/="
		s.secrets = append(s.secrets, Secret{Name: key, Value: v, Core: core})
		return v
	}
	s.Credentials = sim.Credentials{
		Password:       gen("Password", "pw"),
		SecurityToken:  gen("AccessToken", "st"),
		ConsumerKey:    gen("ConsumerKey", "ck"),
		ConsumerSecret: gen("ConsumerSecret", "cs"),
	}
	s.AuthToken = gen("AuthToken", "at")
	return s
}

// Secrets are the sentinels, by the secret key each fills.
func (s Sentinels) Secrets() []Secret { return append([]Secret(nil), s.secrets...) }

// Options returns opts with the secret holding the sentinels and the
// simulated org accepting them.
func (s Sentinels) Options(opts sandbox.Options) sandbox.Options {
	c := s.Credentials
	opts.Credentials = &c
	opts.AuthToken = s.AuthToken
	return opts
}

// Forms are the needles a secret is searched as, by name: the value, its
// URL-encoded forms, its base64 (standard and URL alphabets) at each of the
// three byte alignments it can have inside a longer encoded text, and its
// random core.
func Forms(s Secret) map[string]string {
	out := map[string]string{
		"raw":           s.Value,
		"query-escaped": url.QueryEscape(s.Value),
		"path-escaped":  url.PathEscape(s.Value),
	}
	if s.Core != "" {
		out["core"] = s.Core
	}
	encs := map[string]*base64.Encoding{"base64": base64.StdEncoding, "base64url": base64.URLEncoding}
	for name, enc := range encs {
		for shift := 0; shift < 3; shift++ {
			// The characters that depend only on the value's bytes: those
			// before depend on what precedes it, those after on what follows.
			b := enc.EncodeToString(append(make([]byte, shift), s.Value...))
			from, to := (8*shift+5)/6, 8*(shift+len(s.Value))/6
			out[fmt.Sprintf("%s@%d", name, shift)] = b[from:to]
		}
	}
	return out
}

// Corpus is everything a run let out, by source: outputs, history, logs,
// metrics, reports.
type Corpus struct {
	docs []doc
}

type doc struct{ source, text string }

// Add adds one document.
func (c *Corpus) Add(source, text string) { c.docs = append(c.docs, doc{source, text}) }

// Len is the total size of the corpus in bytes.
func (c *Corpus) Len() int {
	n := 0
	for _, d := range c.docs {
		n += len(d.text)
	}
	return n
}

// Sources lists the sources whose name has the given prefix and whose text
// contains s.
func (c *Corpus) Sources(prefix, s string) []string {
	var out []string
	for _, d := range c.docs {
		if strings.HasPrefix(d.source, prefix) && strings.Contains(d.text, s) {
			out = append(out, d.source)
		}
	}
	return out
}

// Text is the text of every source with the given prefix.
func (c *Corpus) Text(prefix string) string {
	var b strings.Builder
	for _, d := range c.docs {
		if strings.HasPrefix(d.source, prefix) {
			b.WriteString(d.text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Leaks finds every form of every secret in the corpus, one line per hit:
// which secret, in which form, where, with some context.
func (c *Corpus) Leaks(secrets []Secret) []string {
	var out []string
	for _, s := range secrets {
		forms := Forms(s)
		names := make([]string, 0, len(forms))
		for n := range forms {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { // the value itself first
			if (names[i] == "raw") != (names[j] == "raw") {
				return names[i] == "raw"
			}
			return names[i] < names[j]
		})
		searched := map[string]bool{}
		for _, form := range names {
			needle := forms[form]
			if searched[needle] {
				continue // an escaped form equal to the value
			}
			searched[needle] = true
			for _, d := range c.docs {
				if i := strings.Index(d.text, needle); i >= 0 {
					out = append(out, fmt.Sprintf("%s (%s) in %s: …%s…", s.Name, form, d.source, excerpt(d.text, i, len(needle))))
				}
			}
		}
	}
	return out
}

func excerpt(s string, i, n int) string {
	from, to := max(i-80, 0), min(i+n+80, len(s))
	return s[from:to]
}
