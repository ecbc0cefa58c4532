package widgets

import (
	"image/color"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

func cellsOf(states ...CellState) []Cell {
	cells := make([]Cell, len(states))
	for i, s := range states {
		cells[i] = MakeCell(s, NoSource)
	}
	return cells
}

// TestChunkGridMarkup snapshots the grid in each state and when cells
// aggregate. Regenerate a master by deleting it and copying the file the
// failing run writes into testdata/failed/.
func TestChunkGridMarkup(t *testing.T) {
	mixed := make([]Cell, 0, 600)
	for i := range 600 {
		// 8-chunk runs: all done from peer 0, half done from peer 1,
		// one failed, one in flight, all missing, ...
		switch (i / 8) % 6 {
		case 0:
			mixed = append(mixed, MakeCell(CellDone, 0))
		case 1:
			if i%2 == 0 {
				mixed = append(mixed, MakeCell(CellDone, 1))
			} else {
				mixed = append(mixed, MakeCell(CellMissing, NoSource))
			}
		case 2:
			s := CellDone
			if i%8 == 3 {
				s = CellFailed
			}
			mixed = append(mixed, MakeCell(s, 1))
		case 3:
			s := CellDone
			if i%8 == 5 {
				s = CellInFlight
			}
			mixed = append(mixed, MakeCell(s, 0))
		default:
			mixed = append(mixed, MakeCell(CellMissing, NoSource))
		}
	}
	tests := []struct {
		name    string
		cells   []Cell
		sources []string
		size    fyne.Size
	}{
		{"empty", nil, nil, fyne.NewSize(320, 100)},
		{"missing", cellsOf(CellMissing, CellMissing, CellMissing, CellMissing), nil, fyne.NewSize(320, 100)},
		{"inflight", []Cell{MakeCell(CellInFlight, 0), MakeCell(CellInFlight, 1), MakeCell(CellMissing, NoSource), MakeCell(CellMissing, NoSource)}, []string{"10.0.0.1:7000", "10.0.0.2:7000"}, fyne.NewSize(320, 100)},
		{"done", []Cell{MakeCell(CellDone, 0), MakeCell(CellDone, 1), MakeCell(CellDone, 2), MakeCell(CellDone, NoSource)}, []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}, fyne.NewSize(400, 100)},
		{"failed", []Cell{MakeCell(CellDone, 0), MakeCell(CellFailed, 0), MakeCell(CellMissing, NoSource), MakeCell(CellMissing, NoSource)}, []string{"10.0.0.1:7000"}, fyne.NewSize(320, 100)},
		// 600 chunks where only some hundred cells fit: several chunks per cell.
		{"aggregate", mixed, []string{"10.0.0.1:7000", "10.0.0.2:7000"}, fyne.NewSize(320, 140)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			g := NewChunkGrid()
			g.SetCells(tt.cells, tt.sources)
			g.Resize(tt.size)
			test.AssertObjectRendersToMarkup(t, "chunkgrid_"+tt.name+".xml", g)
		})
	}
}

func TestChunkGridAggregates(t *testing.T) {
	test.NewTempApp(t)
	g := NewChunkGrid()
	cells := make([]Cell, 16000)
	for i := range cells {
		if i < 8000 {
			cells[i] = MakeCell(CellDone, i%3)
		}
	}
	g.SetCells(cells, []string{"a", "b", "c"})
	w := test.NewWindow(g)
	defer w.Close()
	w.Resize(fyne.NewSize(800, 300))

	per := g.ChunksPerCell()
	if per < 2 {
		t.Fatalf("16000 chunks in 800x300: %d chunks per cell, want aggregation", per)
	}
	if g.geom.shown > MaxCells {
		t.Errorf("drew %d cells, more than MaxCells %d", g.geom.shown, MaxCells)
	}
	if got := g.geom.shown * per; got < len(cells) {
		t.Errorf("%d cells × %d chunks = %d < %d chunks", g.geom.shown, per, got, len(cells))
	}
	r := test.TempWidgetRenderer(t, g).(*chunkGridRenderer)
	if len(r.looks) > MaxCells {
		t.Errorf("renderer paints %d cells, more than MaxCells", len(r.looks))
	}
	if !strings.Contains(g.Caption(), "8000 of 16000 chunks done") {
		t.Errorf("caption %q lacks the summary", g.Caption())
	}
}

// TestChunkGridPixels checks the raster: each state has its own shape
// (outline, stripes, cross, fill) so that it is told apart without
// colour; done cells take their source's colour, done cells of no known
// source a quiet grey (not the theme's loud success green); the gaps
// between cells stay clear.
func TestChunkGridPixels(t *testing.T) {
	test.NewTempApp(t)
	g := NewChunkGrid()
	g.SetCells([]Cell{MakeCell(CellMissing, NoSource), MakeCell(CellInFlight, 0), MakeCell(CellDone, 0), MakeCell(CellDone, 1), MakeCell(CellFailed, 1), MakeCell(CellDone, NoSource)},
		[]string{"a", "b"})
	w := test.NewWindow(g)
	defer w.Close()
	w.Resize(fyne.NewSize(300, 120))
	r := test.TempWidgetRenderer(t, g).(*chunkGridRenderer)
	size := r.raster.Size()
	img := r.draw(int(size.Width)*2, int(size.Height)*2) // a HiDPI screen
	pitch := g.geom.pitch * 2
	side := int(pitch) - 2*int(CellGap) // whole pixels inside a cell
	clear := color.NRGBA{}
	// For each cell: its colour at the top-left corner (every pattern
	// draws its edge there, except the cross) and at the centre.
	tests := []struct {
		name           string
		corner, centre color.NRGBA
	}{
		{"missing: outline", r.missing, clear},
		{"in flight: striped edge", PeerColor(0), PeerColor(0)},
		{"done from a", PeerColor(0), PeerColor(0)},
		{"done from b", PeerColor(1), PeerColor(1)},
		{"failed: crossed", r.failed, r.failed},
		{"done, sender unknown", r.unknownDone, r.unknownDone},
	}
	for i, tt := range tests {
		x0 := int(float32(i) * pitch)
		if got := img.At(x0, 0).(color.NRGBA); got != tt.corner {
			t.Errorf("%s: corner %v, want %v", tt.name, got, tt.corner)
		}
		if got := img.At(x0+side/2, side/2).(color.NRGBA); got != tt.centre && tt.name != "in flight: striped edge" {
			t.Errorf("%s: centre %v, want %v", tt.name, got, tt.centre)
		}
		gx := int(float32(i+1)*pitch) - 1 // inside the gap after the cell
		if got := img.At(gx, side/2).(color.NRGBA); got.A != 0 {
			t.Errorf("gap after cell %d painted %v", i, got)
		}
	}
	// In flight is striped: some inner pixels painted, some clear.
	painted, blank := 0, 0
	for y := 3; y < side-3; y++ {
		if img.At(int(pitch)+side/2, y).(color.NRGBA) == clear {
			blank++
		} else {
			painted++
		}
	}
	if painted == 0 || blank == 0 {
		t.Errorf("in-flight cell: %d painted, %d clear inner pixels down its middle; want stripes", painted, blank)
	}
	// A failed cell's corner pixel differs from a done cell's: shape, not
	// only colour (the cross leaves the middle of the top edge clear).
	if got := img.At(int(4*pitch)+side/2, 0).(color.NRGBA); got != clear {
		t.Errorf("failed cell's top edge %v, want clear beside the cross", got)
	}
	if r.unknownDone == toNRGBA(test.Theme().Color("success", 0)) {
		t.Error("chunks of unknown sender are the success green")
	}
	// The hovered cell is outlined in the gap around it.
	g.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(g.geom.pitch*2.5, g.geom.pitch/2)}})
	img = r.draw(int(size.Width)*2, int(size.Height)*2)
	gx, y := int(3*pitch)-1, int(pitch/2)
	if got := img.At(gx, y).(color.NRGBA); got != toNRGBA(r.textColor) {
		t.Errorf("gap after the hovered cell %v, want the outline %v", got, toNRGBA(r.textColor))
	}
	if got := img.At(int(2.5*pitch), y).(color.NRGBA); got != PeerColor(0) {
		t.Errorf("hovered cell centre %v, want its colour", got)
	}
}

// TestChunkGridPickByKeys: the grid takes the focus, the arrow keys pick
// a cell and its caption stays after the pointer leaves: who sent a
// chunk can be found without a mouse.
func TestChunkGridPickByKeys(t *testing.T) {
	test.NewTempApp(t)
	g := NewChunkGrid()
	g.SetCells([]Cell{MakeCell(CellDone, 0), MakeCell(CellDone, 1), MakeCell(CellMissing, NoSource)}, []string{"Profa. Débora", "Sala 12 – PC 07"})
	w := test.NewWindow(g)
	defer w.Close()
	w.Resize(fyne.NewSize(320, 120))
	w.Canvas().Focus(g)
	if got := g.Caption(); got != "Chunk 1: done from Profa. Débora" {
		t.Errorf("focused grid says %q, want the first chunk", got)
	}
	g.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if got := g.Caption(); got != "Chunk 2: done from Sala 12 – PC 07" {
		t.Errorf("after Right: %q", got)
	}
	g.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	if got := g.Caption(); got != "Chunk 3: missing" {
		t.Errorf("after End: %q", got)
	}
	test.Tap(g) // taps the middle: past the three cells, picks nothing
	g.Tapped(&fyne.PointEvent{Position: fyne.NewPos(g.geom.pitch*1.5, g.geom.pitch/2)})
	g.MouseOut()
	if got := g.Caption(); got != "Chunk 2: done from Sala 12 – PC 07" {
		t.Errorf("clicked cell 2 then left: %q", got)
	}
}

func TestChunkGridHover(t *testing.T) {
	test.NewTempApp(t)
	g := NewChunkGrid()
	g.SetCells([]Cell{MakeCell(CellDone, 0), MakeCell(CellInFlight, 1), MakeCell(CellMissing, NoSource), MakeCell(CellFailed, 1)},
		[]string{"10.0.0.1:7000", "10.0.0.2:7000"})
	g.Resize(fyne.NewSize(320, 100))
	pitch := g.geom.pitch
	at := func(i int) *desktop.MouseEvent {
		return &desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(float32(i)*pitch+pitch/2, pitch/2)}}
	}
	tests := []struct {
		cell int
		want string
	}{
		{0, "Chunk 1: done from 10.0.0.1:7000"},
		{1, "Chunk 2: downloading asked of 10.0.0.2:7000"},
		{2, "Chunk 3: missing"},
		{3, "Chunk 4: failed asked of 10.0.0.2:7000"},
	}
	for _, tt := range tests {
		g.MouseMoved(at(tt.cell))
		if got := g.Caption(); got != tt.want {
			t.Errorf("hover cell %d: caption %q, want %q", tt.cell, got, tt.want)
		}
	}
	g.MouseOut()
	if got := g.Caption(); !strings.HasPrefix(got, "1 of 4 chunks done") {
		t.Errorf("after MouseOut caption %q, want the summary", got)
	}
	// Past the last cell: no hover.
	g.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(190, pitch/2)}})
	if g.hover != -1 {
		t.Errorf("hover past the cells = %d, want -1", g.hover)
	}
}

func TestChunkGridHoverAggregated(t *testing.T) {
	test.NewTempApp(t)
	g := NewChunkGrid()
	cells := make([]Cell, 3000)
	for i := range cells {
		cells[i] = MakeCell(CellDone, 1)
	}
	cells[1] = MakeCell(CellMissing, NoSource)
	g.SetCells(cells, []string{"a", "b"})
	g.Resize(fyne.NewSize(300, 120))
	per := g.ChunksPerCell()
	if per < 2 {
		t.Fatalf("chunks per cell %d, want aggregation", per)
	}
	g.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(1, 1)}})
	got := g.Caption()
	want := "Chunks 1–"
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "1 missing") || !strings.Contains(got, "mostly from b") {
		t.Errorf("aggregated caption %q", got)
	}
}

func TestFitGrid(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		w, h      float32
		wantPer   int
		wantPitch float32
	}{
		{"none", 0, 100, 100, 1, 0},
		{"few big cells", 4, 200, 100, 1, MaxCellPitch},
		{"shrinks before aggregating", 400, 700, 200, 1, 18},
		{"aggregates", 100, 112, 14, 4, MinCellPitch},
		{"capped at MaxCells", 16000, 4000, 4000, 8, MaxCellPitch},
		{"too small", 10, 3, 3, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gm := fitGrid(tt.n, tt.w, tt.h)
			if gm.per != tt.wantPer || gm.pitch != tt.wantPitch {
				t.Errorf("fitGrid(%d, %v, %v) = per %d pitch %v, want per %d pitch %v", tt.n, tt.w, tt.h, gm.per, gm.pitch, tt.wantPer, tt.wantPitch)
			}
			if gm.shown > MaxCells {
				t.Errorf("shown %d > MaxCells", gm.shown)
			}
			if gm.shown*gm.per < tt.n && gm.shown > 0 {
				t.Errorf("shown %d × per %d does not cover %d", gm.shown, gm.per, tt.n)
			}
		})
	}
}

// BenchmarkChunkGridRefresh measures one progress update of a 16,000-chunk
// download: a fresh snapshot set and every cell recoloured.
func BenchmarkChunkGridRefresh(b *testing.B) {
	test.NewTempApp(b)
	g := NewChunkGrid()
	w := test.NewWindow(g)
	defer w.Close()
	w.Resize(fyne.NewSize(1200, 400))
	cells := make([]Cell, 16000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		cells[i%len(cells)] = MakeCell(CellDone, i%4)
		g.SetCells(cells, []string{"a", "b", "c", "d"})
	}
}

// TestChunkGridScaled: cells folded by the caller (a folder's grid) are
// worded as the chunks, or files, each stands for.
func TestChunkGridScaled(t *testing.T) {
	test.NewTempApp(t)
	g := NewChunkGrid()
	g.SetScale(3, false)
	g.SetCells([]Cell{MakeCell(CellDone, 0), MakeCell(CellMissing, NoSource)}, []string{"a"})
	g.Resize(fyne.NewSize(320, 100))
	if got := g.Caption(); !strings.HasPrefix(got, "1 of 2 cells done · each cell is 3 chunks") {
		t.Errorf("summary %q", got)
	}
	pitch := g.geom.pitch
	g.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(pitch+pitch/2, pitch/2)}})
	if got := g.Caption(); got != "Chunks 4–6: missing" {
		t.Errorf("second cell %q, want Chunks 4–6: missing", got)
	}
	g.MouseOut()
	g.SetScale(2, true)
	g.SetCells([]Cell{MakeCell(CellDone, NoSource)}, nil)
	if got := g.Caption(); !strings.HasPrefix(got, "1 of 1 cell done · each cell is 2 files") {
		t.Errorf("by files: summary %q", got)
	}
	g.SetScale(1, false)
	g.SetCells([]Cell{MakeCell(CellDone, NoSource)}, nil)
	if got := g.Caption(); !strings.HasPrefix(got, "1 of 1 chunk done") {
		t.Errorf("unscaled again: summary %q", got)
	}
}
