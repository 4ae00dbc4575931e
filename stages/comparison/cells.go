package comparison

// ColumnInfo describes a column of the union of the summaries.
type ColumnInfo struct {
	Name     string
	Numeric  bool // every value is a number: it sorts numerically
	Measured bool // a metric or a time (Schema.Measured), not a parameter
	Differs  bool // two rows have different values, or one has none
}

// Columns returns every column of the summaries, in first-seen order (the
// source column, which a comparison adds, is not among them).
func (c *Comparison) Columns() []ColumnInfo {
	out := make([]ColumnInfo, len(c.columns))
	for i, n := range c.columns {
		out[i] = ColumnInfo{Name: n, Numeric: !c.nonNum[i], Measured: c.schema.Measured(n), Differs: c.differs(n)}
	}
	return out
}

// Sources returns the names of the sources, in order.
func (c *Comparison) Sources() []string { return append([]string(nil), c.sources...) }

// Len returns the number of rows: those of every table of every source,
// in the order New was given them, less the repeats Source.Keys names.
func (c *Comparison) Len() int { return len(c.rows) }

// Cell returns row i's value of the column name; ColSource gives the name
// of the row's source. A column the row's summary lacks is not Set.
func (c *Comparison) Cell(i int, name string) Cell { return c.cell(c.rows[i], name) }

// RowSource returns the index of the source row i came from: the first
// that reached it (see Source.Keys).
func (c *Comparison) RowSource(i int) int { return c.rows[i].source }

// RowOK reports whether row i finished ok: its metrics count in groups.
func (c *Comparison) RowOK(i int) bool { return c.ok(c.rows[i]) }
