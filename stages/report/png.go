package report

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"io"

	"github.com/klauspost/compress/zlib"
)

// encodePNG writes img to w as a PNG file whose decoded pixels are exactly
// img's. An opaque *image.RGBA, which every figure is (drawn on a white
// canvas), is written as 8-bit RGB, every row unfiltered, compressed by
// klauspost/compress's zlib at BestSpeed: figures are mostly runs of one
// colour and rows repeated from the row above, which deflate's matching
// finds by itself, so image/png's adaptive filter (trying four predictors on
// every row, a third of its time) and its default compression level cost
// three times as long for files within a few percent of the size, and the
// standard library's zlib at BestSpeed half as long again. Any other image
// goes to image/png at BestSpeed. The bytes depend only on the pixels (and
// the pinned version of the compressor).
func encodePNG(w io.Writer, img image.Image) error {
	rgba, ok := img.(*image.RGBA)
	if !ok || !rgba.Opaque() {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	}
	b := rgba.Bounds()
	width, height := b.Dx(), b.Dy()
	if width == 0 || height == 0 {
		return png.FormatError("invalid image size: " + b.String())
	}
	var idat bytes.Buffer
	zw, err := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	if err != nil {
		return err
	}
	row := make([]byte, 1+3*width) // row[0] = 0: filter type None
	for y := b.Min.Y; y < b.Max.Y; y++ {
		px := rgba.Pix[rgba.PixOffset(b.Min.X, y):]
		for x, o := 0, 1; x < width; x, o = x+1, o+3 {
			row[o], row[o+1], row[o+2] = px[4*x], px[4*x+1], px[4*x+2]
		}
		if _, err := zw.Write(row); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8] = 8 // bits per sample
	ihdr[9] = 2 // colour type: RGB; compression, filter and interlace methods 0
	if _, err := io.WriteString(w, "\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	if err := writeChunk(w, "IHDR", ihdr[:]); err != nil {
		return err
	}
	// A chunk holds at most 2³¹−1 bytes; the largest figure's data stays
	// far below, but split it anyway rather than rely on that.
	for data := idat.Bytes(); len(data) > 0; {
		n := min(len(data), maxIDAT)
		if err := writeChunk(w, "IDAT", data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return writeChunk(w, "IEND", nil)
}

// maxIDAT is the most data encodePNG puts in one IDAT chunk.
const maxIDAT = 1 << 24

// writeChunk writes one PNG chunk: length, type, data and the CRC-32 of type
// and data.
func writeChunk(w io.Writer, typ string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], typ)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, p := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}
