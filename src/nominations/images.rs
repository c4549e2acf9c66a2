//! Pictures among the attachments (the one-inch photo; scans that are JPEG
//! or PNG), read by the `image` crate under its own limits, so that a small
//! file declaring a huge picture (a 182 KB PNG of 7999 × 7999 pixels) is
//! refused before anything is allocated for its pixels; and the photo's
//! form-sized copy, made once at upload, which the registration form embeds
//! so that building `form.docx` or the export package never decodes the
//! original.

use std::io::Cursor;
use std::num::NonZeroUsize;
use std::sync::{Arc, LazyLock};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use tokio::sync::Semaphore;

use crate::platform::error::{ApiError, ApiResult};

/// At most 16 megapixels: a 4608 × 3456 camera picture, an A4 page scanned
/// at 400 dpi (3307 × 4677).
pub const MAX_PIXELS: u64 = 16_000_000;

/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 8192;

/// What a decoder may allocate: 16 megapixels of 8-bit RGBA.
pub const MAX_ALLOC: u64 = MAX_PIXELS * 4;

/// The photo as the registration form prints it: the cell is 2.5 cm wide
/// (一寸), so 413 × 579 pixels is about 420 dpi — above print resolution.
pub const FORM_PHOTO_MAX_PX: (u32, u32) = (413, 579);

/// The limits every picture is read under.
pub fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

/// Why a picture was not read.
#[derive(Debug, thiserror::Error)]
pub enum ImageProblem {
    /// Above [`MAX_PIXELS`], [`MAX_SIDE`] or [`MAX_ALLOC`]; the size when the
    /// decoder could tell it.
    #[error("the picture is larger than the limits ({size:?})")]
    TooLarge { size: Option<(u32, u32)> },
    /// Not a picture the decoders read, or a broken one.
    #[error("the picture cannot be decoded: {0}")]
    Unreadable(#[source] ImageError),
}

fn classify(e: ImageError) -> ImageProblem {
    match e {
        ImageError::Limits(_) => ImageProblem::TooLarge { size: None },
        other => ImageProblem::Unreadable(other),
    }
}

/// A decoder for `bytes` (format from the content) that has read the
/// header only, under [`limits`]: too wide, too high, too many pixels or a
/// pixel buffer above [`MAX_ALLOC`] is [`ImageProblem::TooLarge`].
fn decoder(bytes: &[u8]) -> Result<impl ImageDecoder + '_, ImageProblem> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageProblem::Unreadable(ImageError::IoError(e)))?;
    reader.limits(limits());
    let decoder = reader.into_decoder().map_err(classify)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ImageProblem::TooLarge { size: Some((w, h)) });
    }
    // The output buffer counts against the allowance, as `ImageReader::decode` does.
    limits()
        .reserve(decoder.total_bytes())
        .map_err(|_| ImageProblem::TooLarge { size: Some((w, h)) })?;
    Ok(decoder)
}

/// Checks a picture's size from its header under the limits, without
/// decoding its pixels (scans: stored as they are, never decoded here).
pub fn check(bytes: &[u8]) -> Result<(u32, u32), ImageProblem> {
    decoder(bytes).map(|d| d.dimensions())
}

/// The photo as the registration form embeds it: a PNG (the package format
/// of docx-rs, which names every picture `word/media/*.png`) of at most
/// [`FORM_PHOTO_MAX_PX`], turned upright by its EXIF orientation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormPhoto {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl FormPhoto {
    /// Decodes the original under the limits and makes the copy. The
    /// original's pixels are held only while the copy is made.
    pub fn from_original(bytes: &[u8]) -> Result<Self, ImageProblem> {
        let mut decoder = decoder(bytes)?;
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        let turned = matches!(
            orientation,
            Orientation::Rotate90
                | Orientation::Rotate270
                | Orientation::Rotate90FlipH
                | Orientation::Rotate270FlipH
        );
        let (bw, bh) = if turned {
            (FORM_PHOTO_MAX_PX.1, FORM_PHOTO_MAX_PX.0)
        } else {
            FORM_PHOTO_MAX_PX
        };
        let original = DynamicImage::from_decoder(decoder).map_err(classify)?;
        let mut small = if original.width() > bw || original.height() > bh {
            let small = original.thumbnail(bw, bh);
            drop(original);
            small
        } else {
            original
        };
        small.apply_orientation(orientation);
        let small = if small.color().has_alpha() {
            DynamicImage::ImageRgba8(small.to_rgba8())
        } else {
            DynamicImage::ImageRgb8(small.to_rgb8())
        };
        let mut png = Cursor::new(Vec::new());
        small
            .write_to(&mut png, ImageFormat::Png)
            .map_err(ImageProblem::Unreadable)?;
        Ok(Self {
            png: png.into_inner(),
            width: small.width().max(1),
            height: small.height().max(1),
        })
    }

    /// A stored copy: its size read from its header (under the limits);
    /// `None` if it is not a readable PNG.
    pub fn from_copy(png: Vec<u8>) -> Option<Self> {
        if image::guess_format(&png).ok()? != ImageFormat::Png {
            return None;
        }
        let (width, height) = check(&png).ok()?;
        Some(Self {
            png,
            width: width.max(1),
            height: height.max(1),
        })
    }
}

/// Decodes at most one picture per core at a time, whoever asks (uploads,
/// forms of photos stored without a copy): concurrent requests cost at most
/// that many times [`MAX_ALLOC`], not one original each.
static DECODING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
    Arc::new(Semaphore::new(cores))
});

/// Runs a decode on the blocking pool (never on the async workers) under
/// [`DECODING`]; the permit stays with the decode even if the request is
/// dropped meanwhile.
pub async fn decoding<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    let permit = Arc::clone(&DECODING)
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || {
        let out = f();
        drop(permit);
        out
    })
    .await
    .map_err(ApiError::internal)
}

/// The photo for the form from what is stored: the copy when there is a
/// readable one, otherwise the original decoded under the same limits (a
/// photo uploaded before copies were kept). `None` when neither can be read
/// (the form then shows the placeholder).
pub async fn photo_for_form(
    copy: Option<Vec<u8>>,
    original: Option<Vec<u8>>,
) -> ApiResult<Option<FormPhoto>> {
    if let Some(photo) = copy.and_then(FormPhoto::from_copy) {
        return Ok(Some(photo));
    }
    let Some(original) = original else {
        return Ok(None);
    };
    let photo = decoding(move || FormPhoto::from_original(&original)).await?;
    Ok(photo
        .inspect_err(|e| tracing::info!(error = %e, "photo left out of the form"))
        .ok())
}
