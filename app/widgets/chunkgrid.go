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
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/i18n"
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

// palette colours the peers that supplied chunks: Okabe and Ito's
// colour-universal palette (seven colours told apart with every common
// kind of colour blindness), and grey for every peer beyond them. States
// are told apart by shape, not colour: a missing chunk is an empty
// outline, one on its way is striped in its source's colour, a failed one
// is crossed out, a done one is filled.
var palette = [PaletteSize]color.NRGBA{
	{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}, // blue
	{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}, // orange
	{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}, // bluish green
	{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}, // reddish purple
	{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}, // sky blue
	{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}, // vermillion
	{R: 0xf0, G: 0xe4, B: 0x42, A: 0xff}, // yellow
	{R: 0x99, G: 0x99, B: 0x99, A: 0xff}, // grey: every other peer
}

// pattern is how a drawn cell is painted with its colour.
type pattern uint8

const (
	patOutline pattern = iota // missing: an empty square
	patSolid                  // done
	patStripes                // on its way
	patCross                  // failed: crossed out
	patHalf                   // partly done (aggregated): lower-left half filled
)

// look is one drawn cell: a colour and the way it is painted.
type look struct {
	c   color.NRGBA
	pat pattern
}

// PeerColor is the colour of the peer at index i of the sources.
func PeerColor(i int) color.NRGBA {
	if i < 0 {
		return palette[PaletteSize-1]
	}
	return palette[min(i, PaletteSize-1)]
}

// ChunkGrid shows a download's chunks, one cell per chunk, patterned by
// state and coloured by the peer that supplied it. With more chunks than
// fit, each cell covers several consecutive chunks. Pointing at a cell
// tells its state and source in the caption under the legend; clicking
// it (or moving to it with the arrow keys once the grid has the focus)
// keeps it told.
type ChunkGrid struct {
	widget.BaseWidget

	cells   []Cell
	sources []string

	// hover is the index of the cell under the pointer, or -1; picked is
	// the cell clicked or reached with the keys, or -1. geom is the last
	// layout's, for mapping a pointer to a cell. All are touched only on
	// the Fyne goroutine.
	hover   int
	picked  int
	focused bool
	geom    gridGeometry

	// scale is how many chunks (files, with scaleFiles) each cell set
	// stands for, when the caller folded them (SetScale); 0 or 1 none.
	scale      int
	scaleFiles bool
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
	g := &ChunkGrid{hover: -1, picked: -1}
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

// SetScale says that each cell set stands for per consecutive chunks,
// or with files per whole files, folded by the caller (a folder's grid):
// the caption words them so. per 1 without files is the default, one
// chunk a cell. Call on the Fyne goroutine, before SetCells.
func (g *ChunkGrid) SetScale(per int, files bool) {
	g.scale, g.scaleFiles = max(per, 1), files
}

// scaled reports whether the cells set stand for more than a chunk each.
func (g *ChunkGrid) scaled() bool { return g.scale > 1 || g.scaleFiles }

// Cells returns the chunks last set.
func (g *ChunkGrid) Cells() []Cell { return g.cells }

// ChunksPerCell is how many chunks one drawn cell covers at the current size.
func (g *ChunkGrid) ChunksPerCell() int { return max(g.geom.per, 1) }

// Caption is the text under the legend: the state and source of the
// hovered cell, else of the picked one, else a summary.
func (g *ChunkGrid) Caption() string {
	if g.hover >= 0 && g.hover < g.geom.shown {
		return g.describe(g.hover)
	}
	if g.picked >= 0 && g.picked < g.geom.shown {
		return g.describe(g.picked)
	}
	return g.summary()
}

// Tapped picks the cell clicked: its caption stays when the pointer
// leaves. Part of fyne.Tappable.
func (g *ChunkGrid) Tapped(e *fyne.PointEvent) {
	g.pick(g.cellAt(e.Position))
}

func (g *ChunkGrid) pick(i int) {
	if i == g.picked {
		return
	}
	g.picked = i
	g.Refresh()
}

// FocusGained shows the focus: the picked cell (the first one if none) is
// outlined in the theme's focus colour. Part of fyne.Focusable.
func (g *ChunkGrid) FocusGained() {
	g.focused = true
	if g.picked < 0 && g.geom.shown > 0 {
		g.picked = 0
	}
	g.Refresh()
}

// FocusLost is part of fyne.Focusable.
func (g *ChunkGrid) FocusLost() {
	g.focused = false
	g.Refresh()
}

// TypedRune is part of fyne.Focusable.
func (g *ChunkGrid) TypedRune(rune) {}

// TypedKey moves the picked cell with the arrow keys, Home and End. Part
// of fyne.Focusable.
func (g *ChunkGrid) TypedKey(k *fyne.KeyEvent) {
	gm := g.geom
	if gm.shown == 0 {
		return
	}
	i := max(g.picked, 0)
	switch k.Name {
	case fyne.KeyLeft:
		i--
	case fyne.KeyRight:
		i++
	case fyne.KeyUp:
		i -= gm.cols
	case fyne.KeyDown:
		i += gm.cols
	case fyne.KeyHome:
		i = 0
	case fyne.KeyEnd:
		i = gm.shown - 1
	default:
		return
	}
	g.pick(min(max(i, 0), gm.shown-1))
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
	if g.scaled() {
		return g.describeScaled(t)
	}
	if t.first == t.last {
		b.WriteString(lang.L("Chunk {{.Number}}: {{.State}}", map[string]any{"Number": t.first + 1, "State": stateWords(CellState(firstNonZero(t.n)))}))
		if t.source >= 0 {
			from := map[string]any{"Peer": g.sourceName(t.source)}
			if g.cells[t.first].State() == CellInFlight || g.cells[t.first].State() == CellFailed {
				b.WriteString(" " + lang.L("asked of {{.Peer}}", from))
			} else {
				b.WriteString(" " + lang.L("from {{.Peer}}", from))
			}
		}
		return b.String()
	}
	b.WriteString(lang.L("Chunks {{.First}}–{{.Last}}:", map[string]any{"First": t.first + 1, "Last": t.last + 1}))
	writeCounts(&b, t)
	if t.source >= 0 {
		b.WriteString("; " + lang.L("mostly from {{.Peer}}", map[string]any{"Peer": g.sourceName(t.source)}))
	}
	return b.String()
}

// describeScaled words a cell of folded cells: the chunks (or files) it
// stands for, and the states of the cells set.
func (g *ChunkGrid) describeScaled(t tally) string {
	var b strings.Builder
	r := map[string]any{"First": t.first*g.scale + 1, "Last": (t.last + 1) * g.scale}
	if g.scaleFiles {
		b.WriteString(lang.L("Files {{.First}}–{{.Last}}:", r))
	} else {
		b.WriteString(lang.L("Chunks {{.First}}–{{.Last}}:", r))
	}
	if t.first == t.last {
		b.WriteString(" " + stateWords(CellState(firstNonZero(t.n))))
	} else {
		writeCounts(&b, t)
	}
	if t.source >= 0 {
		b.WriteString("; " + lang.L("mostly from {{.Peer}}", map[string]any{"Peer": g.sourceName(t.source)}))
	}
	return b.String()
}

// writeCounts words how many cells of t are in each state: " 3 done,
// 1 missing".
func writeCounts(b *strings.Builder, t tally) {
	sep := " "
	for _, s := range [...]CellState{CellDone, CellInFlight, CellFailed, CellMissing} {
		if t.n[s] > 0 {
			fmt.Fprintf(b, "%s%d %s", sep, t.n[s], stateWords(s))
			sep = ", "
		}
	}
}

// stateWords is a cell state in words, for the caption.
func stateWords(s CellState) string {
	switch s {
	case CellMissing:
		return lang.L("missing")
	case CellInFlight:
		return lang.L("downloading")
	case CellDone:
		return lang.L("done")
	case CellFailed:
		return lang.L("failed")
	}
	return s.String()
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
		return lang.L("other peers")
	}
	if src >= 0 && src < len(g.sources) {
		return g.sources[src]
	}
	return lang.L("unknown peer")
}

func (g *ChunkGrid) summary() string {
	n := len(g.cells)
	if n == 0 {
		return lang.L("No chunks yet")
	}
	done := 0
	for _, c := range g.cells {
		if c.State() == CellDone {
			done++
		}
	}
	var s string
	switch per := g.ChunksPerCell() * max(g.scale, 1); {
	case g.scaleFiles:
		s = lang.N("{{.Done}} of {{.Count}} cells done", i18n.Plural(n), map[string]any{"Done": done, "Count": n}) +
			" · " + lang.N("each cell is {{.Count}} files", i18n.Plural(per), counted(per))
	case g.scaled():
		s = lang.N("{{.Done}} of {{.Count}} cells done", i18n.Plural(n), map[string]any{"Done": done, "Count": n}) +
			" · " + lang.L("each cell is {{.Count}} chunks", counted(per))
	default:
		s = lang.N("{{.Done}} of {{.Count}} chunks done", i18n.Plural(n), map[string]any{"Done": done, "Count": n})
		if per > 1 {
			s += " · " + lang.L("each cell is {{.Count}} chunks", counted(per))
		}
	}
	return s + " · " + lang.L("point at or click a cell for details")
}

func counted(n int) map[string]any { return map[string]any{"Count": n} }

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

// legendEntry is one swatch, drawn like a cell, and its label.
type legendEntry struct {
	look   look
	swatch *canvas.Raster
	label  canvas.Text
}

// chunkGridRenderer draws every cell into one raster image (one texture
// per frame, however many chunks) and the legend and caption as text.
type chunkGridRenderer struct {
	grid *ChunkGrid

	raster  *canvas.Raster
	looks   []look       // per drawn cell, set in Layout
	img     *image.NRGBA // reused between frames of the same size
	legend  []*legendEntry
	caption canvas.Text
	objects []fyne.CanvasObject

	// theme colours, refreshed in Refresh
	missing, inFlight, failed, unknownDone, focus color.NRGBA
	textColor                                     color.Color
	textSize                                      float32
}

func (r *chunkGridRenderer) applyTheme() {
	th := r.grid.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.missing = toNRGBA(th.Color(theme.ColorNamePlaceHolder, v))
	r.inFlight = toNRGBA(th.Color(theme.ColorNameForeground, v))
	r.failed = toNRGBA(th.Color(theme.ColorNameError, v))
	// Chunks whose sender is not known (received before a pause or a
	// restart) are a quiet grey, not a colour that reads as a peer's.
	r.unknownDone = toNRGBA(th.Color(theme.ColorNameDisabled, v))
	r.focus = toNRGBA(th.Color(theme.ColorNamePrimary, v))
	r.textColor = th.Color(theme.ColorNameForeground, v)
	r.textSize = th.Size(theme.SizeNameText)
	r.caption.Color = r.textColor
	r.caption.TextSize = r.textSize
}

func toNRGBA(c color.Color) color.NRGBA {
	if n, ok := c.(color.NRGBA); ok {
		return n
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
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
	if g.picked >= gm.shown {
		g.picked = -1
	}

	r.looks = r.looks[:0]
	for i := range gm.shown {
		r.looks = append(r.looks, r.cellLook(i))
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
// square in its look, CellGap apart, on a transparent background.
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
	for i, lk := range r.looks {
		col, row := i%gm.cols, i/gm.cols
		x0, y0 := px(float32(col)*gm.pitch), px(float32(row)*gm.pitch)
		x1, y1 := min(px(float32(col)*gm.pitch+side), w), min(px(float32(row)*gm.pitch+side), h)
		paintCell(r.img, image.Rect(x0, y0, x1, y1), lk)
	}
	// Outline the cell under the pointer, and the picked one, in the gap
	// around it: the picked one in the focus colour while the grid has the
	// focus.
	outline := func(i int, c color.NRGBA) {
		if i < 0 || i >= len(r.looks) {
			return
		}
		col, row := i%gm.cols, i/gm.cols
		x0, y0 := px(float32(col)*gm.pitch-CellGap), px(float32(row)*gm.pitch-CellGap)
		x1, y1 := px(float32(col)*gm.pitch+gm.pitch), px(float32(row)*gm.pitch+gm.pitch)
		frame(r.img, image.Rect(x0, y0, x1, y1), c, max(1, px(CellGap)))
	}
	pickColor := toNRGBA(r.textColor)
	if r.grid.focused {
		pickColor = r.focus
	}
	outline(r.grid.picked, pickColor)
	outline(r.grid.hover, toNRGBA(r.textColor))
	return r.img
}

// paintCell paints one cell into rect of img in its look.
func paintCell(img *image.NRGBA, rect image.Rectangle, lk look) {
	rect = rect.Intersect(img.Rect)
	if rect.Empty() {
		return
	}
	w, h := rect.Dx(), rect.Dy()
	line := max(1, min(w, h)/7) // stroke width, in pixels
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			dx, dy := x-rect.Min.X, y-rect.Min.Y
			on := false
			switch lk.pat {
			case patSolid:
				on = true
			case patOutline:
				on = dx < line || dy < line || dx >= w-line || dy >= h-line
			case patStripes:
				on = (dx+dy)%(3*line) < line+line/2 || dx < line || dy < line || dx >= w-line || dy >= h-line
			case patCross:
				d1, d2 := dx-dy, dx-(h-1-dy)
				on = abs(d1) < line || abs(d2) < line
			case patHalf:
				on = dx <= dy || dx < line || dy < line || dx >= w-line || dy >= h-line
			}
			if on {
				img.SetNRGBA(x, y, lk.c)
			}
		}
	}
}

// frame draws a border of width t just inside rect.
func frame(img *image.NRGBA, rect image.Rectangle, c color.NRGBA, t int) {
	rect = rect.Intersect(img.Rect)
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			if x < rect.Min.X+t || y < rect.Min.Y+t || x >= rect.Max.X-t || y >= rect.Max.Y-t {
				img.SetNRGBA(x, y, c)
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
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

// cellLook is how drawn cell i looks: failed wins (crossed out), then in
// flight (striped in its source's colour), then done (filled with the
// supplying peer's colour), half filled when only some of its chunks are
// done, and an empty outline when none are.
func (r *chunkGridRenderer) cellLook(i int) look {
	t := r.grid.tally(i)
	count := t.last - t.first + 1
	src := r.unknownDone
	if t.source >= 0 {
		src = PeerColor(t.source)
	}
	switch {
	case t.n[CellFailed] > 0:
		return look{r.failed, patCross}
	case t.n[CellInFlight] > 0:
		if t.source < 0 {
			src = r.inFlight
		}
		return look{src, patStripes}
	case t.n[CellDone] == count:
		return look{src, patSolid}
	case t.n[CellDone] > 0:
		return look{src, patHalf}
	}
	return look{r.missing, patOutline}
}

// legendItems lists the legend's labels and looks: the states first, then
// one entry per supplying peer (the palette's last colour stands for all
// peers beyond it), each with its number of chunks.
func (r *chunkGridRenderer) legendItems() ([]string, []look) {
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
	labels := []string{count(lang.L("Missing"), n[CellMissing]), count(lang.L("Downloading"), n[CellInFlight])}
	looks := []look{{r.missing, patOutline}, {r.inFlight, patStripes}}
	if n[CellFailed] > 0 {
		labels = append(labels, count(lang.L("Failed"), n[CellFailed]))
		looks = append(looks, look{r.failed, patCross})
	}
	if g.geom.per > 1 {
		labels = append(labels, lang.L("Partly done"))
		looks = append(looks, look{r.inFlight, patHalf})
	}
	if len(g.sources) == 0 || bySlot[0] > 0 {
		labels = append(labels, count(lang.L("Done, sender not known"), bySlot[0]))
		looks = append(looks, look{r.unknownDone, patSolid})
	}
	for i, s := range g.sources {
		if i == PaletteSize-1 && len(g.sources) > PaletteSize {
			others := len(g.sources) - i
			labels = append(labels, count(lang.N("From {{.Count}} other peers", i18n.Plural(others), map[string]any{"Count": others}), bySlot[PaletteSize]))
			looks = append(looks, look{PeerColor(i), patSolid})
			break
		}
		labels = append(labels, count(lang.L("From {{.Peer}}", map[string]any{"Peer": s}), bySlot[1+i]))
		looks = append(looks, look{PeerColor(i), patSolid})
	}
	return labels, looks
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
	labels, looks := r.legendItems()
	for len(r.legend) < len(labels) {
		e := &legendEntry{}
		e.swatch = canvas.NewRaster(func(w, h int) image.Image {
			img := image.NewNRGBA(image.Rect(0, 0, w, h))
			paintCell(img, img.Rect, e.look)
			return img
		})
		e.swatch.ScaleMode = canvas.ImageScalePixels
		r.legend = append(r.legend, e)
		r.objects = nil
	}
	lh := r.legendHeight()
	sw := r.textSize * 0.8
	x := float32(0)
	for i, e := range r.legend {
		if i >= len(labels) {
			e.swatch.Hide()
			e.label.Hide()
			continue
		}
		e.look = looks[i]
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
			objs = append(objs, e.swatch, &e.label)
		}
		r.objects = append(objs, &r.caption)
	}
	return r.objects
}

// Refresh takes the theme's colours and redraws the cells, and of the
// legend and caption only what changed: refreshing the whole widget would
// make the driver render every text of it again.
func (r *chunkGridRenderer) Refresh() {
	oldTheme := [5]color.NRGBA{r.missing, r.inFlight, r.failed, r.unknownDone, r.focus}
	oldLooks := make([]look, len(r.legend))
	for i, e := range r.legend {
		oldLooks[i] = e.look
	}
	oldTexts := make([]string, len(r.legend)+1)
	for i, e := range r.legend {
		oldTexts[i] = e.label.Text
	}
	oldTexts[len(r.legend)] = r.caption.Text
	oldLegend := len(r.legend)

	r.applyTheme()
	r.Layout(r.grid.Size())
	r.raster.Refresh()
	if oldTheme != [5]color.NRGBA{r.missing, r.inFlight, r.failed, r.unknownDone, r.focus} || len(r.legend) != oldLegend {
		canvas.Refresh(r.grid) // new objects or colours: all of it
		return
	}
	for i, e := range r.legend {
		if e.label.Text != oldTexts[i] || e.look != oldLooks[i] {
			e.label.Refresh()
			e.swatch.Refresh()
		}
	}
	if r.caption.Text != oldTexts[len(r.legend)] {
		r.caption.Refresh()
	}
}

func (r *chunkGridRenderer) Destroy() {}
