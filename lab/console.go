package lab

import (
	"regexp"
	"strconv"
	"strings"
)

// The guest's /init frames each phase on the console with markers that carry
// a per-boot random nonce, so that nothing a test prints (and no kernel
// message) can be mistaken for one:
//
//	<marker> BOOT
//	<marker> BEGIN <phase>
//	... the phase's output ...
//	<marker> END <phase> rc=<exit status> uptime=<seconds>
//	<marker> KMSG <phase>
//	... what the kernel logged during the phase ...
//	<marker> KMSG-END <phase>
//	<marker> DONE
//
// A marker may follow other text on the same line (output without a final
// newline); what precedes it belongs to the phase before.

// Console is what the guest printed, split by phase.
type Console struct {
	Booted bool // /init started
	Done   bool // /init reached its end
	Phases []*Phase
	// Other holds the lines outside any phase: kernel boot messages,
	// module loading, /init's own complaints.
	Other []string
}

// Phase is one command the guest ran.
type Phase struct {
	Name   string
	Output []string
	Ended  bool // the END marker was seen
	RC     int  // exit status; meaningful when Ended
	Uptime string
	Kmsg   []string
}

// Phase returns the named phase, or nil.
func (c *Console) Phase(name string) *Phase {
	for _, p := range c.Phases {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ParseConsole splits console text on marker.
func ParseConsole(marker, text string) *Console {
	c := &Console{}
	var cur *Phase
	inKmsg := false
	text = strings.ReplaceAll(text, "\r\n", "\n")
	for _, line := range strings.Split(text, "\n") {
		i := strings.Index(line, marker+" ")
		if i < 0 {
			switch {
			case cur != nil && inKmsg:
				cur.Kmsg = append(cur.Kmsg, line)
			case cur != nil && !cur.Ended:
				cur.Output = append(cur.Output, line)
			default:
				c.Other = append(c.Other, line)
			}
			continue
		}
		if before := line[:i]; before != "" {
			if cur != nil && !cur.Ended {
				cur.Output = append(cur.Output, before)
			} else {
				c.Other = append(c.Other, before)
			}
		}
		f := strings.Fields(line[i+len(marker)+1:])
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "BOOT":
			c.Booted = true
		case "DONE":
			c.Done = true
			cur, inKmsg = nil, false
		case "BEGIN":
			if len(f) > 1 {
				cur = &Phase{Name: f[1]}
				inKmsg = false
				c.Phases = append(c.Phases, cur)
			}
		case "END":
			if cur != nil && len(f) > 1 && f[1] == cur.Name {
				cur.Ended = true
				for _, kv := range f[2:] {
					k, v, _ := strings.Cut(kv, "=")
					switch k {
					case "rc":
						cur.RC, _ = strconv.Atoi(v)
					case "uptime":
						cur.Uptime = v
					}
				}
				// The END marker follows an echo that ends the phase's
				// last line: drop the blank line it leaves.
				if n := len(cur.Output); n > 0 && cur.Output[n-1] == "" {
					cur.Output = cur.Output[:n-1]
				}
			}
		case "KMSG":
			inKmsg = cur != nil
		case "KMSG-END":
			inKmsg = false
		}
	}
	return c
}

// GoTest is one test (or subtest) of a `go test -v` run.
type GoTest struct {
	Name    string // full name: TestX/sub
	Result  string // PASS, FAIL, SKIP; "" when it never finished
	Elapsed string // "0.12s"
	Output  []string
}

var (
	reRun    = regexp.MustCompile(`^=== (RUN|CONT|NAME|PAUSE)\s+(\S+)`)
	reResult = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+s)\)`)
	reEnd    = regexp.MustCompile(`^(PASS|FAIL|ok\s|FAIL\s|exit status|panic:|testing: warning)`)
)

// ParseGoTest reads the output of a test binary run with -test.v and returns
// its tests in the order they started, each with the lines printed while it
// was the current test. Lines printed outside any test (a panic, the final
// PASS/FAIL) are returned as rest.
func ParseGoTest(lines []string) (tests []*GoTest, rest []string) {
	byName := map[string]*GoTest{}
	get := func(name string) *GoTest {
		t, ok := byName[name]
		if !ok {
			t = &GoTest{Name: name}
			byName[name] = t
			tests = append(tests, t)
		}
		return t
	}
	var cur *GoTest
	for _, line := range lines {
		if m := reRun.FindStringSubmatch(line); m != nil {
			cur = get(m[2])
			continue
		}
		if m := reResult.FindStringSubmatch(line); m != nil {
			t := get(m[2])
			t.Result, t.Elapsed = m[1], m[3]
			cur = t
			continue
		}
		if reEnd.MatchString(line) {
			cur = nil
		}
		if cur == nil {
			rest = append(rest, line)
			continue
		}
		cur.Output = append(cur.Output, line)
	}
	return tests, rest
}
