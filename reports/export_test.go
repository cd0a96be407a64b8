package reports

import "time"

// Hooks into the live view for its specs.

func (p *Live) StatusLines() []string           { return p.statusLocked() }
func (p *Live) SetClock(f func() time.Duration) { p.nowOverride = f }
func (p *Live) SetWidth(w int)                  { p.width = w }
func (p *Live) Schedule() []time.Duration       { return p.schedule }
func (p *Live) MethodLen() time.Duration        { return p.methodLen }
