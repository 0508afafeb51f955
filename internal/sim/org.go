package sim

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// sfTimeLayout is how Salesforce renders datetime fields.
const sfTimeLayout = "2006-01-02T15:04:05.000+0000"

// Org is a thread-safe in-memory Salesforce org: Contacts, Cases, an API
// user's credentials and the OAuth sessions it issued. It answers the REST
// requests the simulated sfInvokeAPI sends.
type Org struct {
	mu         sync.Mutex
	seq        int
	caseNumber int
	records    []*record
	byID       map[string]*record // by 15-char id
	deleted    map[string]bool    // 15-char ids of deleted records
	feed       map[string]bool    // Chatter feed element ids
	creds      Credentials
	tokens     map[string]bool
	apiCalls   int
	now        func() time.Time
	// SalesforceLogin's side: retired API versions, a fixed
	// DailyApiRequests Remaining (-1: computed), logins and revocations.
	retired      map[string]bool
	apiRemaining int
	logins       int
	revoked      int
}

// Contact is a Salesforce Contact. Name is FirstName + " " + LastName;
// AddContact fills whichever side is missing.
type Contact struct{ ID, Name, FirstName, LastName, Email, Phone, MobilePhone, HomePhone string }

// Case is a Salesforce Case. IsClosed is derived from Status ("Closed").
type Case struct {
	ID, ContactID, Subject, Status, Origin, Priority string
	IsClosed                                         bool
	CreatedDate                                      time.Time
}

// Credentials are the API user's login and the Connected App's keys; the
// token endpoint accepts exactly these.
type Credentials struct{ Username, Password, SecurityToken, ConsumerKey, ConsumerSecret string }

// NewOrg returns an empty org.
func NewOrg() *Org {
	return &Org{
		caseNumber:   1000,
		byID:         map[string]*record{},
		deleted:      map[string]bool{},
		feed:         map[string]bool{},
		tokens:       map[string]bool{},
		now:          time.Now,
		retired:      map[string]bool{},
		apiRemaining: -1,
	}
}

// SetCredentials sets the credentials the token endpoint accepts.
func (o *Org) SetCredentials(c Credentials) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.creds = c
}

// ExpireSessions invalidates every OAuth token issued so far, as a session
// timeout or a password reset does.
func (o *Org) ExpireSessions() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tokens = map[string]bool{}
}

// APICalls is the number of requests the org served, token requests and
// rejected calls included: what the org's API budget is charged.
func (o *Org) APICalls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.apiCalls
}

// AddContact stores c and returns its Id. An empty ID gets a new
// Salesforce-like 18-character Id with the Contact prefix 003; a 15-character
// one is extended to 18.
func (o *Org) AddContact(c Contact) string {
	if c.FirstName == "" && c.LastName == "" && c.Name != "" {
		first, last, ok := strings.Cut(strings.TrimSpace(c.Name), " ")
		if ok {
			c.FirstName, c.LastName = first, strings.TrimSpace(last)
		} else {
			c.LastName = first
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.newRecord(contactObject, c.ID, time.Time{})
	r.vals["FirstName"] = c.FirstName
	r.vals["LastName"] = c.LastName
	r.vals["Email"] = c.Email
	r.vals["Phone"] = c.Phone
	r.vals["MobilePhone"] = c.MobilePhone
	r.vals["HomePhone"] = c.HomePhone
	return r.id
}

// Contact returns the Contact with Id id.
func (o *Org) Contact(id string) (Contact, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.lookup(contactObject, id)
	if r == nil {
		return Contact{}, false
	}
	return r.contact(), true
}

// Contacts returns a snapshot of every Contact in creation order.
func (o *Org) Contacts() []Contact {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Contact
	for _, r := range o.records {
		if r.obj == contactObject {
			out = append(out, r.contact())
		}
	}
	return out
}

// AddCaseAgedForTest stores c with its CreatedDate (zero means now), to seed
// stale test cases for the cleanup sweep, and returns its Id. An empty
// Status becomes New, or Closed when IsClosed is set; IsClosed true forces
// Status Closed.
func (o *Org) AddCaseAgedForTest(c Case) string {
	switch {
	case c.IsClosed:
		c.Status = "Closed"
	case c.Status == "":
		c.Status = "New"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.newRecord(caseObject, c.ID, c.CreatedDate)
	r.vals["Subject"] = c.Subject
	r.vals["Status"] = c.Status
	r.vals["Origin"] = c.Origin
	r.vals["Priority"] = c.Priority
	r.vals["ContactId"] = c.ContactID
	return r.id
}

// Cases returns a snapshot of every Case, sorted by CreatedDate.
func (o *Org) Cases() []Case {
	o.mu.Lock()
	defer o.mu.Unlock()
	var rs []*record
	for _, r := range o.records {
		if r.obj == caseObject {
			rs = append(rs, r)
		}
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].created.Equal(rs[j].created) {
			return rs[i].created.Before(rs[j].created)
		}
		return rs[i].seq < rs[j].seq
	})
	out := make([]Case, len(rs))
	for i, r := range rs {
		out[i] = r.caseValue()
	}
	return out
}

// Case returns the Case with Id id (15 or 18 characters).
func (o *Org) Case(id string) (Case, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.lookup(caseObject, id)
	if r == nil {
		return Case{}, false
	}
	return r.caseValue(), true
}

// OpenCases returns the open Cases whose Subject starts with subjectPrefix,
// sorted by CreatedDate.
func (o *Org) OpenCases(subjectPrefix string) []Case {
	var out []Case
	for _, c := range o.Cases() {
		if !c.IsClosed && strings.HasPrefix(c.Subject, subjectPrefix) {
			out = append(out, c)
		}
	}
	return out
}

// CasesCreated counts every Case ever created in the org, deleted or not
// (AddCaseAgedForTest included).
func (o *Org) CasesCreated() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.caseNumber - 1000
}

// newRecord stores a new record of obj; o.mu must be held.
func (o *Org) newRecord(obj *sobject, id string, created time.Time) *record {
	o.seq++
	switch {
	case id == "":
		id = newID(obj.prefix, o.seq)
	case len(id) == 15:
		id += idSuffix(id)
	}
	if created.IsZero() {
		created = o.now()
	}
	r := &record{obj: obj, id: id, seq: o.seq, created: created.UTC().Truncate(time.Second), vals: map[string]string{}}
	if obj == caseObject {
		o.caseNumber++
		r.vals["CaseNumber"] = padNumber(o.caseNumber, 8)
	}
	if old := o.byID[id15(id)]; old != nil {
		o.removeRecord(old)
	}
	delete(o.deleted, id15(id))
	o.records = append(o.records, r)
	o.byID[id15(id)] = r
	return r
}

func (o *Org) removeRecord(r *record) {
	delete(o.byID, id15(r.id))
	for i, x := range o.records {
		if x == r {
			o.records = append(o.records[:i:i], o.records[i+1:]...)
			break
		}
	}
}

// lookup finds a live record of obj (nil obj: any) by 15- or 18-char id.
func (o *Org) lookup(obj *sobject, id string) *record {
	if !validID(id) {
		return nil
	}
	r := o.byID[id15(id)]
	if r == nil || (obj != nil && r.obj != obj) {
		return nil
	}
	return r
}

// issueToken registers and returns a new session token; o.mu must be held.
func (o *Org) issueToken() string {
	var b [30]byte
	_, _ = rand.Read(b[:])
	tok := orgID + "!AQ" + strings.TrimRight(base64.RawURLEncoding.EncodeToString(b[:]), "=")
	o.tokens[tok] = true
	return tok
}

// orgID is the simulated org's Id.
const orgID = "00D1r000000SIMPRB"

func padNumber(n, width int) string { return fmt.Sprintf("%0*d", width, n) }

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID returns a deterministic 18-character Id: key prefix, the pod "1r",
// ten base-62 digits of seq and the case-safe checksum.
func newID(prefix string, seq int) string {
	digits := make([]byte, 10)
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = base62[seq%62]
		seq /= 62
	}
	id := prefix + "1r" + string(digits)
	return id + idSuffix(id)
}

// idSuffix is the 3-character case-safe checksum of a 15-character Id.
func idSuffix(id string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	out := make([]byte, 3)
	for chunk := 0; chunk < 3; chunk++ {
		flags := 0
		for i := 0; i < 5; i++ {
			c := id[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				flags |= 1 << i
			}
		}
		out[chunk] = alphabet[flags]
	}
	return string(out)
}

// validID reports whether s has the shape of a 15- or 18-character Id.
func validID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(base62, rune(s[i])) {
			return false
		}
	}
	return true
}

func id15(id string) string {
	if len(id) >= 15 {
		return id[:15]
	}
	return id
}
