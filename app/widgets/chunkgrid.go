// Package widgets holds Enxame's reusable custom widgets. It knows nothing
// of the network: callers translate engine state into the widgets' own types.
package widgets

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// CellState is what is known of one chunk.
type CellState uint8

// Chunk states, in the order the grid ranks them when cells aggregate.
const (
	CellMissing  CellState = iota // not held, not asked for
	CellInFlight                  // asked of a peer, bytes on the way
	CellDone                      // received and verified
	CellFailed                    // the last attempt failed verification or the peer
)

// String names a state the way the grid's caption shows it.
func (s CellState) String() string {
	switch s {
	case CellMissing:
		return "missing"
	case CellInFlight:
		return "downloading"
	case CellDone:
		return "done"
	case CellFailed:
		return "failed"
	}
	return "unknown"
}

// NoSource is the Source of a chunk whose supplying peer is unknown (or
// none yet).
const NoSource = -1

// Cell is one chunk: its state in the low byte and, in the high byte, the
// index into the grid's sources of the peer that supplied (or is
// supplying) it, 0xFF for none. The engine's chunk table keeps its chunks
// in this very layout (net/transfer.Cell), so a download's cells reach
// the grid as they are, with no translation on the way.
type Cell uint16

// noSourceByte is NoSource in a Cell's high byte.
const noSourceByte = 0xFF

// MakeCell is the cell of a chunk in state s supplied by source (NoSource,
// or any index past 254, for none).
func MakeCell(s CellState, source int) Cell {
	if source < 0 || source >= noSourceByte {
		source = noSourceByte
	}
	return Cell(uint16(source)<<8 | uint16(s))
}

// State is the chunk's state.
func (c Cell) State() CellState { return CellState(c & 0xFF) }

// Source is the index of the peer that supplied the chunk, or NoSource.
func (c Cell) Source() int {
	if src := int(c >> 8); src != noSourceByte {
		return src
	}
	return NoSource
}

// Geometry limits of the grid.
const (
	// MaxCells bounds the cells drawn: with more chunks than that (or
	// than fit) each cell covers several chunks.
	MaxCells = 2048
	// MinCellPitch and MaxCellPitch bound a cell's side plus its gap, in
	// Fyne units.
	MinCellPitch = float32(7)
	MaxCellPitch = float32(22)
	// CellGap is the space between cells, in Fyne units.
	CellGap = float32(1)
	// PaletteSize is how many peers get a colour of their own; the rest
	// share the last one.
	PaletteSize = 8
)

// palette colours the peers that supplied chunks. Chosen to stay apart
// from the theme's warning (in flight), error (failed) and success colours.
var palette = [PaletteSize]color.NRGBA{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, // purple
	{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff}, // cyan
	{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}, // brown
	{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, // pink
	{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}, // olive
	{R: 0x39, G: 0x3b, B: 0x79, A: 0xff}, // indigo
	{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, // grey: every other peer
}

// PeerColor is the colour of the peer at index i of the sources.
func PeerColor(i int) color.NRGBA {
	if i < 0 {
		return palette[PaletteSize-1]
	}
	return palette[min(i, PaletteSize-1)]
}

// ChunkGrid shows a download's chunks, one cell per chunk, coloured by state
// and, once done, by the peer that supplied it. With more chunks than fit,
// each cell covers several consecutive chunks. Hovering a cell tells its
// state and source in the caption under the legend.
type ChunkGrid struct {
	widget.BaseWidget

	cells   []Cell
	sources []string

	// hover is the index of the cell under the pointer, or -1. geom is the
	// last layout's, for mapping a pointer to a cell. Both are touched only
	// on the Fyne goroutine.
	hover int
	geom  gridGeometry
}

// gridGeometry is where the cells were laid out.
type gridGeometry struct {
	cols, shown int // columns, cells drawn
	per         int // chunks per cell (≥ 1)
	pitch       float32
	origin      fyne.Position
}

// NewChunkGrid returns an empty grid.
func NewChunkGrid() *ChunkGrid {
	g := &ChunkGrid{hover: -1}
	g.ExtendBaseWidget(g)
	return g
}

// SetCells replaces the chunks and the peer names their Source indexes, and
// redraws. The grid keeps both slices: the caller must not change them
// afterwards. Call on the Fyne goroutine.
func (g *ChunkGrid) SetCells(cells []Cell, sources []string) {
	g.cells = cells
	g.sources = sources
	g.Refresh()
}

// Cells returns the chunks last set.
func (g *ChunkGrid) Cells() []Cell { return g.cells }

// ChunksPerCell is how many chunks one drawn cell covers at the current size.
func (g *ChunkGrid) ChunksPerCell() int { return max(g.geom.per, 1) }

// Caption is the text under the legend: the hovered cell's state and source,
// or a summary.
func (g *ChunkGrid) Caption() string {
	if g.hover >= 0 && g.hover < g.geom.shown {
		return g.describe(g.hover)
	}
	return g.summary()
}

// MouseIn shows the hovered cell. Part of desktop.Hoverable.
func (g *ChunkGrid) MouseIn(e *desktop.MouseEvent) { g.MouseMoved(e) }

// MouseMoved tracks the cell under the pointer. Part of desktop.Hoverable.
func (g *ChunkGrid) MouseMoved(e *desktop.MouseEvent) {
	g.setHover(g.cellAt(e.Position))
}

// MouseOut clears the hover. Part of desktop.Hoverable.
func (g *ChunkGrid) MouseOut() { g.setHover(-1) }

func (g *ChunkGrid) setHover(i int) {
	if i == g.hover {
		return
	}
	g.hover = i
	g.Refresh()
}

// cellAt maps a position inside the widget to a drawn cell, or -1.
func (g *ChunkGrid) cellAt(p fyne.Position) int {
	gm := g.geom
	if gm.cols == 0 || gm.pitch <= 0 {
		return -1
	}
	x, y := p.X-gm.origin.X, p.Y-gm.origin.Y
	if x < 0 || y < 0 {
		return -1
	}
	col, row := int(x/gm.pitch), int(y/gm.pitch)
	if col >= gm.cols {
		return -1
	}
	i := row*gm.cols + col
	if i >= gm.shown {
		return -1
	}
	return i
}

// tally counts the states and sources of the chunks cell i covers.
type tally struct {
	first, last int // chunk range, inclusive
	n           [4]int
	source      int // majority source of the done (or in-flight) chunks
}

func (g *ChunkGrid) tally(i int) tally {
	per := max(g.geom.per, 1)
	t := tally{first: i * per, source: NoSource}
	t.last = min(t.first+per, len(g.cells)) - 1
	if per == 1 {
		c := g.cells[t.first]
		t.n[c.State()&3]++
		t.source = c.Source()
		return t
	}
	// Few peers in practice: a small slice beats a map for the majority.
	var counts [PaletteSize + 1]int
	for _, c := range g.cells[t.first : t.last+1] {
		t.n[c.State()&3]++
		if c.State() == CellDone || c.State() == CellInFlight {
			counts[sourceSlot(c.Source())]++
		}
	}
	best := 0
	for s, n := range counts {
		if n > best {
			best, t.source = n, slotSource(s)
		}
	}
	return t
}

// sourceSlot folds a source index into counts: slot 0 is NoSource, slot
// 1+i is palette entry i.
func sourceSlot(src int) int {
	if src < 0 {
		return 0
	}
	return 1 + min(src, PaletteSize-1)
}

func slotSource(slot int) int { return slot - 1 }

// describe words cell i for the caption.
func (g *ChunkGrid) describe(i int) string {
	t := g.tally(i)
	var b strings.Builder
	if t.first == t.last {
		fmt.Fprintf(&b, "Chunk %d: %s", t.first+1, CellState(firstNonZero(t.n)))
		if t.source >= 0 {
			verb := "from"
			if g.cells[t.first].State() == CellInFlight || g.cells[t.first].State() == CellFailed {
				verb = "asked of"
			}
			fmt.Fprintf(&b, " %s %s", verb, g.sourceName(t.source))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "Chunks %d–%d:", t.first+1, t.last+1)
	sep := " "
	for _, s := range [...]CellState{CellDone, CellInFlight, CellFailed, CellMissing} {
		if t.n[s] > 0 {
			fmt.Fprintf(&b, "%s%d %s", sep, t.n[s], s)
			sep = ", "
		}
	}
	if t.source >= 0 {
		fmt.Fprintf(&b, "; mostly from %s", g.sourceName(t.source))
	}
	return b.String()
}

func firstNonZero(n [4]int) int {
	for i, v := range n {
		if v > 0 {
			return i
		}
	}
	return 0
}

func (g *ChunkGrid) sourceName(src int) string {
	if src >= PaletteSize-1 && len(g.sources) > PaletteSize {
		return "other peers"
	}
	if src >= 0 && src < len(g.sources) {
		return g.sources[src]
	}
	return "unknown peer"
}

func (g *ChunkGrid) summary() string {
	n := len(g.cells)
	if n == 0 {
		return "No chunks yet"
	}
	done := 0
	for _, c := range g.cells {
		if c.State() == CellDone {
			done++
		}
	}
	s := fmt.Sprintf("%d of %d chunks done", done, n)
	if per := g.ChunksPerCell(); per > 1 {
		s += fmt.Sprintf(" · each cell is %d chunks", per)
	}
	return s + " · point at a cell for details"
}

// MinSize is room for a few rows of small cells, the legend and the caption.
func (g *ChunkGrid) MinSize() fyne.Size {
	g.ExtendBaseWidget(g)
	return g.BaseWidget.MinSize()
}

// CreateRenderer links the grid to its renderer. Part of fyne.Widget.
func (g *ChunkGrid) CreateRenderer() fyne.WidgetRenderer {
	g.ExtendBaseWidget(g)
	r := &chunkGridRenderer{grid: g}
	r.raster = canvas.NewRaster(r.draw)
	r.raster.ScaleMode = canvas.ImageScalePixels
	r.caption.TextStyle.Italic = true
	r.applyTheme()
	return r
}

// legendEntry is one swatch and its label.
type legendEntry struct {
	swatch canvas.Rectangle
	label  canvas.Text
}

// chunkGridRenderer draws every cell into one raster image (one texture
// per frame, however many chunks) and the legend and caption as text.
type chunkGridRenderer struct {
	grid *ChunkGrid

	raster  *canvas.Raster
	colors  []color.NRGBA // per drawn cell, set in Layout
	img     *image.NRGBA  // reused between frames of the same size
	legend  []*legendEntry
	caption canvas.Text
	objects []fyne.CanvasObject

	// theme colours, refreshed in Refresh
	missing, inFlight, failed, unknownDone color.NRGBA
	textColor                              color.Color
	textSize                               float32
}

func (r *chunkGridRenderer) applyTheme() {
	th := r.grid.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.missing = toNRGBA(th.Color(theme.ColorNameDisabledButton, v))
	r.inFlight = toNRGBA(th.Color(theme.ColorNameWarning, v))
	r.failed = toNRGBA(th.Color(theme.ColorNameError, v))
	r.unknownDone = toNRGBA(th.Color(theme.ColorNameSuccess, v))
	r.textColor = th.Color(theme.ColorNameForeground, v)
	r.textSize = th.Size(theme.SizeNameCaptionText)
	r.caption.Color = r.textColor
	r.caption.TextSize = r.textSize
}

func toNRGBA(c color.Color) color.NRGBA {
	if n, ok := c.(color.NRGBA); ok {
		return n
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

// blend mixes a and b half and half: the "partly done" shade.
func blend(a, b color.NRGBA) color.NRGBA {
	return color.NRGBA{R: uint8((int(a.R) + int(b.R)) / 2), G: uint8((int(a.G) + int(b.G)) / 2), B: uint8((int(a.B) + int(b.B)) / 2), A: 0xff}
}

func (r *chunkGridRenderer) legendHeight() float32 { return r.textSize + 6 }

func (r *chunkGridRenderer) MinSize() fyne.Size {
	w := MinCellPitch * 16
	h := MinCellPitch*4 + 2*r.legendHeight() + 4
	return fyne.NewSize(w, h)
}

// Layout places the cell raster and the legend and works out each cell's
// colour. It never calls Refresh.
func (r *chunkGridRenderer) Layout(size fyne.Size) {
	g := r.grid
	lh := r.legendHeight()
	// The legend's line count depends on the aggregation, which depends on
	// the room the legend leaves: lay out with the common single-line guess
	// first and again if the legend turned out taller.
	lines := 1
	var gm gridGeometry
	for range 3 {
		gm = fitGrid(len(g.cells), size.Width, size.Height-float32(lines+1)*lh-4)
		g.geom = gm
		if got := r.legendLines(size.Width); got <= lines {
			break
		} else {
			lines = got
		}
	}
	if g.hover >= gm.shown {
		g.hover = -1
	}

	r.colors = r.colors[:0]
	for i := range gm.shown {
		r.colors = append(r.colors, r.cellColor(i))
	}
	rows := 0
	if gm.cols > 0 {
		rows = (gm.shown + gm.cols - 1) / gm.cols
	}
	r.raster.Move(gm.origin)
	r.raster.Resize(fyne.NewSize(float32(gm.cols)*gm.pitch, float32(rows)*gm.pitch))

	y := gm.origin.Y + float32(rows)*gm.pitch + 4
	y = r.layoutLegend(size.Width, y)
	r.caption.Text = g.Caption()
	r.caption.Move(fyne.NewPos(0, y))
	r.caption.Resize(fyne.NewSize(size.Width, lh))
}

// draw paints the cells into a w×h pixel image for the raster: each cell a
// square of its colour, CellGap apart, on a transparent background.
func (r *chunkGridRenderer) draw(w, h int) image.Image {
	if r.img == nil || r.img.Rect.Dx() != w || r.img.Rect.Dy() != h {
		r.img = image.NewNRGBA(image.Rect(0, 0, w, h))
	} else {
		clear(r.img.Pix)
	}
	gm := r.grid.geom
	size := r.raster.Size()
	if gm.cols == 0 || size.Width <= 0 || w == 0 {
		return r.img
	}
	scale := float64(w) / float64(size.Width)
	px := func(v float32) int { return int(float64(v)*scale + 0.5) }
	side := gm.pitch - CellGap
	for i, c := range r.colors {
		col, row := i%gm.cols, i/gm.cols
		x0, y0 := px(float32(col)*gm.pitch), px(float32(row)*gm.pitch)
		x1, y1 := min(px(float32(col)*gm.pitch+side), w), min(px(float32(row)*gm.pitch+side), h)
		if x1 <= x0 || y1 <= y0 {
			continue
		}
		// One row of the cell, then copies of it.
		first := r.img.PixOffset(x0, y0)
		span := r.img.Pix[first : first+4*(x1-x0)]
		for k := 0; k < len(span); k += 4 {
			span[k], span[k+1], span[k+2], span[k+3] = c.R, c.G, c.B, c.A
		}
		for y := y0 + 1; y < y1; y++ {
			off := r.img.PixOffset(x0, y)
			copy(r.img.Pix[off:off+len(span)], span)
		}
	}
	// Outline the cell under the pointer, in the gap around it.
	if hv := r.grid.hover; hv >= 0 && hv < len(r.colors) {
		col, row := hv%gm.cols, hv/gm.cols
		x0, y0 := px(float32(col)*gm.pitch-CellGap), px(float32(row)*gm.pitch-CellGap)
		x1, y1 := px(float32(col)*gm.pitch+gm.pitch), px(float32(row)*gm.pitch+gm.pitch)
		c := toNRGBA(r.textColor)
		for x := max(x0, 0); x < min(x1, w); x++ {
			for _, y := range [2]int{y0, y1 - 1} {
				if y >= 0 && y < h {
					r.img.SetNRGBA(x, y, c)
				}
			}
		}
		for y := max(y0, 0); y < min(y1, h); y++ {
			for _, x := range [2]int{x0, x1 - 1} {
				if x >= 0 && x < w {
					r.img.SetNRGBA(x, y, c)
				}
			}
		}
	}
	return r.img
}

// fitGrid chooses the largest pitch at which n cells fit in w×h, and when
// they do not fit even at MinCellPitch (or exceed MaxCells), how many
// chunks each cell covers.
func fitGrid(n int, w, h float32) gridGeometry {
	if n == 0 || w < MinCellPitch || h < MinCellPitch {
		return gridGeometry{per: 1}
	}
	per := (n + MaxCells - 1) / MaxCells
	if room := int(w/MinCellPitch) * int(h/MinCellPitch); room*per < n {
		per = (n + room - 1) / room
	}
	shown := (n + per - 1) / per
	for p := MaxCellPitch; p >= MinCellPitch; p-- {
		if cols, rows := int(w/p), int(h/p); cols*rows >= shown {
			return gridGeometry{cols: cols, shown: shown, per: per, pitch: p}
		}
	}
	return gridGeometry{per: 1} // unreachable: MinCellPitch fits by construction
}

// cellColor is the fill of drawn cell i: failed wins, then in flight, then
// the supplying peer's colour when all its chunks are done, a half shade
// of it when only some are, and the empty colour when none are.
func (r *chunkGridRenderer) cellColor(i int) color.NRGBA {
	t := r.grid.tally(i)
	count := t.last - t.first + 1
	done := r.unknownDone
	if t.source >= 0 {
		done = PeerColor(t.source)
	}
	switch {
	case t.n[CellFailed] > 0:
		return r.failed
	case t.n[CellInFlight] > 0:
		return r.inFlight
	case t.n[CellDone] == count:
		return done
	case t.n[CellDone] > 0:
		return blend(done, r.missing)
	}
	return r.missing
}

// legendItems lists the legend's labels and colours: the states first, then
// one entry per supplying peer (the palette's last colour stands for all
// peers beyond it), each with its number of chunks.
func (r *chunkGridRenderer) legendItems() ([]string, []color.NRGBA) {
	g := r.grid
	var n [4]int
	var bySlot [PaletteSize + 1]int
	for _, c := range g.cells {
		n[c.State()&3]++
		if c.State() == CellDone {
			bySlot[sourceSlot(c.Source())]++
		}
	}
	count := func(label string, k int) string { return fmt.Sprintf("%s (%d)", label, k) }
	labels := []string{count("Missing", n[CellMissing]), count("Downloading", n[CellInFlight]), count("Failed", n[CellFailed])}
	colors := []color.NRGBA{r.missing, r.inFlight, r.failed}
	if g.geom.per > 1 {
		labels = append(labels, "Partly done")
		colors = append(colors, blend(r.unknownDone, r.missing))
	}
	if len(g.sources) == 0 || bySlot[0] > 0 {
		labels = append(labels, count("Done", bySlot[0]))
		colors = append(colors, r.unknownDone)
	}
	for i, s := range g.sources {
		if i == PaletteSize-1 && len(g.sources) > PaletteSize {
			labels = append(labels, count(fmt.Sprintf("From %d other peers", len(g.sources)-i), bySlot[PaletteSize]))
			colors = append(colors, PeerColor(i))
			break
		}
		labels = append(labels, count("From "+s, bySlot[1+i]))
		colors = append(colors, PeerColor(i))
	}
	return labels, colors
}

// legendLines is how many lines the legend takes at width.
func (r *chunkGridRenderer) legendLines(width float32) int {
	labels, _ := r.legendItems()
	lines, x := 1, float32(0)
	for _, l := range labels {
		w := r.entryWidth(l)
		if x > 0 && x+w > width {
			lines++
			x = 0
		}
		x += w + 12
	}
	return lines
}

// entryWidth is the width of a swatch and its label.
func (r *chunkGridRenderer) entryWidth(label string) float32 {
	return r.textSize + 4 + fyne.MeasureText(label, r.textSize, fyne.TextStyle{}).Width
}

// layoutLegend flows the legend from y, wrapping at width, and returns the
// y below it.
func (r *chunkGridRenderer) layoutLegend(width, y float32) float32 {
	labels, colors := r.legendItems()
	for len(r.legend) < len(labels) {
		r.legend = append(r.legend, &legendEntry{})
		r.objects = nil
	}
	lh := r.legendHeight()
	sw := r.textSize
	x := float32(0)
	for i, e := range r.legend {
		if i >= len(labels) {
			e.swatch.Hide()
			e.label.Hide()
			continue
		}
		e.swatch.FillColor = colors[i]
		e.swatch.StrokeColor = r.textColor
		e.swatch.StrokeWidth = 0.5
		e.label.Text = labels[i]
		e.label.Color = r.textColor
		e.label.TextSize = r.textSize
		w := r.entryWidth(labels[i])
		if x > 0 && x+w > width {
			x = 0
			y += lh
		}
		e.swatch.Move(fyne.NewPos(x, y+(lh-sw)/2))
		e.swatch.Resize(fyne.NewSize(sw, sw))
		e.label.Move(fyne.NewPos(x+sw+4, y))
		e.label.Resize(fyne.NewSize(w-sw-4, lh))
		e.swatch.Show()
		e.label.Show()
		x += w + 12
	}
	return y + lh
}

func (r *chunkGridRenderer) Objects() []fyne.CanvasObject {
	if r.objects == nil {
		objs := make([]fyne.CanvasObject, 0, 2*len(r.legend)+2)
		objs = append(objs, r.raster)
		for _, e := range r.legend {
			objs = append(objs, &e.swatch, &e.label)
		}
		r.objects = append(objs, &r.caption)
	}
	return r.objects
}

// Refresh takes the theme's colours and redraws the cells, and of the
// legend and caption only what changed: refreshing the whole widget would
// make the driver render every text of it again.
func (r *chunkGridRenderer) Refresh() {
	oldTheme := [4]color.NRGBA{r.missing, r.inFlight, r.failed, r.unknownDone}
	oldTexts := make([]string, len(r.legend)+1)
	for i, e := range r.legend {
		oldTexts[i] = e.label.Text
	}
	oldTexts[len(r.legend)] = r.caption.Text
	oldLegend := len(r.legend)

	r.applyTheme()
	r.Layout(r.grid.Size())
	r.raster.Refresh()
	if oldTheme != [4]color.NRGBA{r.missing, r.inFlight, r.failed, r.unknownDone} || len(r.legend) != oldLegend {
		canvas.Refresh(r.grid) // new objects or colours: all of it
		return
	}
	for i, e := range r.legend {
		if e.label.Text != oldTexts[i] {
			e.label.Refresh()
			e.swatch.Refresh()
		}
	}
	if r.caption.Text != oldTexts[len(r.legend)] {
		r.caption.Refresh()
	}
}

func (r *chunkGridRenderer) Destroy() {}
