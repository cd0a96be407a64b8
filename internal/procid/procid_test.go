package procid

import (
	"os/exec"
	"testing"
)

func TestIdentity(t *testing.T) {
	self := Self()
	if !self.Valid() || !self.Alive() {
		t.Fatalf("own identity %+v not alive", self)
	}
	back, err := Parse(self.Format())
	if err != nil || back != self {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if _, err := Parse("123\n"); err == nil {
		t.Fatal("a bare pid parsed")
	}
	reused := self
	reused.Start++
	if reused.Alive() {
		t.Fatal("a pid with another start time counts as alive")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if (ID{PID: cmd.Process.Pid, Start: 1, Boot: self.Boot}).Alive() {
		t.Fatal("an exited process counts as alive")
	}
}
