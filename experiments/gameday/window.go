package gameday

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/faultline/faultline/internal/strictyaml"
)

// Window is when experiments may start: on the listed weekdays, between
// From (inclusive) and To (exclusive) local time in Loc. An experiment
// that started inside the window is not cut short when it closes; the
// next one does not start.
type Window struct {
	Days     [7]bool // by time.Weekday; all true when no days were listed
	From, To time.Duration
	Loc      *time.Location
	Text     string // as written, for messages
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

func parseWindow(doc *strictyaml.Doc, ws *WindowSpec) *Window {
	w := &Window{From: 0, To: 24 * time.Hour, Loc: time.Local}
	if len(ws.Days) == 0 {
		for i := range w.Days {
			w.Days[i] = true
		}
	}
	for i, d := range ws.Days {
		wd, ok := weekdays[strings.ToLower(strings.TrimSpace(d))]
		if !ok {
			doc.Errorf(fmt.Sprintf("window.days[%d]", i), "unknown day %q (want mon, tue, wed, thu, fri, sat or sun)", d)
			continue
		}
		w.Days[wd] = true
	}
	if ws.Hours != "" {
		from, to, err := parseHours(ws.Hours)
		if err != nil {
			doc.Errorf("window.hours", "%v", err)
		}
		w.From, w.To = from, to
	}
	if ws.Timezone != "" {
		loc, err := time.LoadLocation(ws.Timezone)
		if err != nil {
			doc.Errorf("window.timezone", "unknown time zone %q (want an IANA name such as Europe/Berlin)", ws.Timezone)
		} else {
			w.Loc = loc
		}
	}
	days := "every day"
	if len(ws.Days) > 0 {
		days = strings.Join(ws.Days, ",")
	}
	hours := ws.Hours
	if hours == "" {
		hours = "00:00-24:00"
	}
	w.Text = fmt.Sprintf("%s %s %s", days, hours, w.Loc)
	return w
}

// parseHours reads "HH:MM-HH:MM" (24:00 allowed as an end); the end must
// be after the start.
func parseHours(s string) (from, to time.Duration, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("hours %q: want HH:MM-HH:MM, e.g. 09:00-16:00", s)
	}
	if from, err = clock(a); err == nil {
		to, err = clock(b)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("hours %q: %w", s, err)
	}
	if to <= from {
		return 0, 0, fmt.Errorf("hours %q: the end must be after the start (windows do not span midnight)", s)
	}
	return from, to, nil
}

func clock(s string) (time.Duration, error) {
	var h, m int
	s = strings.TrimSpace(s)
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) != 5 {
		return 0, fmt.Errorf("bad time %q (want HH:MM)", s)
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// Contains reports whether t falls inside the window.
func (w *Window) Contains(t time.Time) bool {
	if w == nil {
		return true
	}
	lt := t.In(w.Loc)
	if !w.Days[lt.Weekday()] {
		return false
	}
	since := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	return since >= w.From && since < w.To
}

func (w *Window) String() string {
	if w == nil {
		return "any time"
	}
	return w.Text
}

var scheduleParser = sync.OnceValue(func() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
})

// ParseSchedule reads a cron spec: five fields (minute hour day-of-month
// month day-of-week), or six with a leading seconds field, or a descriptor
// (@hourly, @daily, @every 10m). It is read in the window's time zone when
// there is one (a CRON_TZ=NAME prefix overrides that), else in local time.
func ParseSchedule(spec string, w *Window) (cron.Schedule, error) {
	s := strings.TrimSpace(spec)
	if w != nil && !strings.HasPrefix(s, "CRON_TZ=") && !strings.HasPrefix(s, "TZ=") && !strings.HasPrefix(s, "@every") {
		s = "CRON_TZ=" + w.Loc.String() + " " + s
	}
	sched, err := scheduleParser().Parse(s)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %v (want 5 cron fields, 6 with leading seconds, or @every 10m)", spec, err)
	}
	return sched, nil
}
