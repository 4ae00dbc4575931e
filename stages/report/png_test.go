package report

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// samePixels reports the first pixel where a and b differ, comparing
// 8-bit non-premultiplied colours (what a PNG stores) over a's bounds.
func samePixels(a, b image.Image) error {
	if a.Bounds().Size() != b.Bounds().Size() {
		return fmt.Errorf("sizes %v and %v", a.Bounds().Size(), b.Bounds().Size())
	}
	da := b.Bounds().Min.Sub(a.Bounds().Min)
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			ca := color.NRGBAModel.Convert(a.At(x, y))
			cb := color.NRGBAModel.Convert(b.At(x+da.X, y+da.Y))
			if ca != cb {
				return fmt.Errorf("pixel (%d, %d) is %v, want %v", x, y, cb, ca)
			}
		}
	}
	return nil
}

// TestEncodePNG encodes images of every kind the encoder treats apart —
// opaque RGBA (its own path), RGBA with transparency, a sub-image whose
// bounds do not start at 0, other image types — and decodes them with
// image/png: the pixels must come back unchanged, and the same image must
// give the same bytes.
func TestEncodePNG(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	opaque := func(w, h int) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = uint8(r.IntN(256))
			if i%4 == 3 {
				img.Pix[i] = 255
			}
		}
		return img
	}
	// runs of one colour and repeated rows, as in a figure
	flat := opaque(300, 200)
	for y := range 200 {
		for x := range 300 {
			c := color.RGBA{uint8(x / 40 * 30), uint8(y / 50 * 60), 200, 255}
			if y%7 == 0 {
				c = color.RGBA{0, 0, 0, 255}
			}
			flat.SetRGBA(x, y, c)
		}
	}
	translucent := opaque(17, 9)
	translucent.Pix[4*5+3] = 128
	translucent.Pix[4*5] = 100 // premultiplied: at most the alpha
	nrgba := image.NewNRGBA(image.Rect(0, 0, 13, 11))
	for i := range nrgba.Pix {
		nrgba.Pix[i] = uint8(r.IntN(256))
	}
	gray := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 4)
	}
	cases := []struct {
		name string
		img  image.Image
	}{
		{"one pixel", opaque(1, 1)},
		{"random opaque", opaque(97, 61)},
		{"flat areas and repeated rows", flat},
		{"a sub-image not at the origin", flat.SubImage(image.Rect(31, 17, 250, 190))},
		{"a translucent pixel", translucent},
		{"NRGBA", nrgba},
		{"gray", gray},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := encodePNG(&a, c.img); err != nil {
				t.Fatalf("encodePNG = %v", err)
			}
			if err := encodePNG(&b, c.img); err != nil {
				t.Fatalf("encodePNG = %v", err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("encodePNG gave different bytes for the same image")
			}
			got, err := png.Decode(bytes.NewReader(a.Bytes()))
			if err != nil {
				t.Fatalf("png.Decode = %v", err)
			}
			if err := samePixels(c.img, got); err != nil {
				t.Errorf("decoded image differs: %v", err)
			}
		})
	}
}

func TestEncodePNGEmpty(t *testing.T) {
	var buf bytes.Buffer
	var fe png.FormatError
	if err := encodePNG(&buf, image.NewRGBA(image.Rect(0, 0, 0, 5))); !errors.As(err, &fe) {
		t.Errorf("encodePNG(0×5 image) = %v, want a png.FormatError", err)
	}
}

// failWriter fails its n-th write.
type failWriter struct{ n int }

var errWrite = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	f.n--
	if f.n == 0 {
		return 0, errWrite
	}
	return len(p), nil
}

func TestEncodePNGWriteError(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	// signature, then the IHDR, IDAT and IEND chunks of three writes each
	for n := 1; n <= 10; n++ {
		if err := encodePNG(&failWriter{n: n}, img); !errors.Is(err, errWrite) {
			t.Errorf("encodePNG with write %d failing = %v, want %v", n, err, errWrite)
		}
	}
}
