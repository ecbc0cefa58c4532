package vm

import (
	"testing"
)

func TestRowsNotifyInPlaceChanges(t *testing.T) {
	testApp(t)
	r := newRows(eq[ShareRow])
	calls := 0
	r.AddListener(dataListener(func() { calls++ }))
	steps := []struct {
		rows      []ShareRow
		wantCalls int
	}{
		{[]ShareRow{{Name: "a", Size: 1}}, 2},              // first call is the current value
		{[]ShareRow{{Name: "a", Size: 2}}, 3},              // same length, new value
		{[]ShareRow{{Name: "a", Size: 2}}, 3},              // no change, no call
		{[]ShareRow{{Name: "a", Size: 2}, {Name: "b"}}, 4}, // longer
		{nil, 5},
	}
	for i, s := range steps {
		if err := r.Set(s.rows); err != nil {
			t.Fatal(err)
		}
		if calls != s.wantCalls {
			t.Errorf("step %d: %d listener calls, want %d", i, calls, s.wantCalls)
		}
	}
	if _, err := r.GetValue(0); err == nil {
		t.Error("GetValue past the end succeeded")
	}
}
