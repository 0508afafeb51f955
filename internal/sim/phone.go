package sim

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// nationalNumber is str(phonenumbers.parse(s, None).national_number): the
// digits after the country calling code of an E.164-style number. Without a
// leading + there is no region to parse against, and phonenumbers raises
// NumberParseException; its str() is "(<type>) <message>".
func nationalNumber(s string) (string, error) {
	const (
		invalidCountryCode = 0
		notANumber         = 1
		tooShortAfterIDD   = 2
		tooShortNSN        = 3
		tooLong            = 4
	)
	fail := func(code int, msg string) (string, error) {
		return "", raise("NumberParseException", "(%d) %s", code, msg)
	}
	if len([]rune(s)) > 250 {
		return fail(tooLong, "The string supplied was too long to parse.")
	}
	number := extractPossibleNumber(s)
	if !viablePhoneNumber(number) {
		return fail(notANumber, "The string supplied did not seem to be a phone number.")
	}
	if !strings.HasPrefix(number, "+") && !strings.HasPrefix(number, "＋") {
		return fail(invalidCountryCode, "Missing or invalid default region.")
	}
	full := normalizePhone(strings.TrimLeft(number, "+＋"))
	if len(full) <= 2 {
		return fail(tooShortAfterIDD, "Phone number had an IDD, but after this was not long enough to be a viable phone number.")
	}
	national := ""
	found := false
	if full[0] != '0' {
		for n := 1; n <= 3 && n <= len(full); n++ {
			if countryCodes[full[:n]] {
				national, found = full[n:], true
				break
			}
		}
	}
	if !found {
		return fail(invalidCountryCode, "Country calling code supplied was not recognised.")
	}
	if p, ok := nationalPrefixes[full[:len(full)-len(national)]]; ok &&
		strings.HasPrefix(national, p.prefix) && len(national)-len(p.prefix) == p.length {
		national = national[len(p.prefix):]
	}
	switch {
	case len(national) < 2:
		return fail(tooShortNSN, "The string supplied is too short to be a phone number.")
	case len(national) > 17:
		return fail(tooLong, "The string supplied is too long to be a phone number.")
	}
	// national_number is an int: leading zeros go.
	n, err := strconv.ParseUint(national, 10, 64)
	if err != nil {
		return fail(tooLong, "The string supplied is too long to be a phone number.")
	}
	return strconv.FormatUint(n, 10), nil
}

// nationalPrefixes are the national (trunk) prefixes other than 0 that
// phonenumbers strips after the country code, where what remains has the
// region's national length: +1 1 415…, +7 8 912…, +52 1 55…. Leading zeros
// need no entry (national_number is an int). This is a part of
// libphonenumber's metadata only: the transformations of Argentina (+54)
// and other regions are not modelled.
var nationalPrefixes = map[string]struct {
	prefix string
	length int
}{
	"1":  {"1", 10},
	"7":  {"8", 10},
	"52": {"1", 10},
}

// extractPossibleNumber drops what precedes the first + or digit and the
// trailing characters that cannot end a number.
func extractPossibleNumber(s string) string {
	start := strings.IndexFunc(s, func(r rune) bool { return r == '+' || r == '＋' || unicode.IsDigit(r) })
	if start < 0 {
		return ""
	}
	s = s[start:]
	return strings.TrimRightFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '#' })
}

const phonePunct = `\-x‐-―−ー－-／  ­​⁠　()（）［］.\[\]/~⁓∼～`

var viablePhoneRe = regexp.MustCompile(`(?i)^(?:\p{Nd}{2}|[+＋]*(?:[` + phonePunct + `*]*\p{Nd}){3,}[` + phonePunct + `*A-Za-z\p{Nd}]*)$`)

func viablePhoneNumber(s string) bool {
	return len([]rune(s)) >= 2 && viablePhoneRe.MatchString(s)
}

// normalizePhone keeps the digits; with three or more letters, letters are
// read as keypad digits (1-800-FLOWERS).
func normalizePhone(s string) string {
	letters := 0
	for _, r := range s {
		if r < 0x80 && unicode.IsLetter(r) {
			letters++
		}
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case letters >= 3 && r < 0x80 && unicode.IsLetter(r):
			b.WriteByte(keypad[unicode.ToUpper(r)-'A'])
		}
	}
	return b.String()
}

const keypad = "22233344455566677778889999"

// countryCodes are the country calling codes libphonenumber knows.
var countryCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58
		60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 211 212 213 216 218 220 221 222 223 224 225 226 227 228
		229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256
		257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353 354 355 356 357 358 359 370
		371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 389 420 421 423 500 501 502 503 504 505 506 507 508
		509 590 591 592 593 594 595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688
		689 690 691 692 800 808 850 852 853 855 856 870 878 880 881 882 883 886 888 960 961 962 963 964 965 966 967 968
		970 971 972 973 974 975 976 977 979 992 993 994 995 996 998`) {
		m[c] = true
	}
	return m
}()
