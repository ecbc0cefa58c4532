package vm

import (
	"errors"
	"slices"

	"fyne.io/fyne/v2/data/binding"
)

// Rows is a bound list of values. Unlike binding.List, whose own listeners
// hear only changes of length, every change of any row reaches Rows'
// listeners: one notification per Set that changed something.
type Rows[T any] struct {
	binding.Item[[]T]
}

func newRows[T any](equal func(a, b T) bool) Rows[T] {
	return Rows[T]{binding.NewItem(func(a, b []T) bool { return slices.EqualFunc(a, b, equal) })}
}

func eq[T comparable](a, b T) bool { return a == b }

// Length is the number of rows.
func (r Rows[T]) Length() int {
	v, _ := r.Get()
	return len(v)
}

// GetValue returns row i.
func (r Rows[T]) GetValue(i int) (T, error) {
	v, _ := r.Get()
	if i < 0 || i >= len(v) {
		var zero T
		return zero, errOutOfRange
	}
	return v[i], nil
}

var errOutOfRange = errors.New("row index out of range")
