//! Static assets with content-hashed URLs, served with year-long immutable caching.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/"]
struct AssetFiles;

struct Asset {
    bytes: Vec<u8>,
    content_type: &'static str,
    etag: String,
}

/// Every asset by its hashed name, and the hashed name of each plain name.
pub struct Assets {
    by_hashed: HashMap<String, Asset>,
    hashed_of: HashMap<String, String>,
}

impl Assets {
    pub fn load() -> Assets {
        let mut by_hashed = HashMap::new();
        let mut hashed_of = HashMap::new();
        for name in AssetFiles::iter() {
            let Some(file) = AssetFiles::get(&name) else {
                continue;
            };
            let digest = hex::encode(Sha256::digest(&file.data));
            let hash = &digest[..12];
            let hashed = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                None => format!("{name}.{hash}"),
            };
            let asset = Asset {
                bytes: file.data.into_owned(),
                content_type: content_type(&name),
                etag: format!("\"{hash}\""),
            };
            hashed_of.insert(name.to_string(), hashed.clone());
            by_hashed.insert(hashed, asset);
        }
        Assets {
            by_hashed,
            hashed_of,
        }
    }

    /// The URL of an asset by its plain name, e.g. "app.css" → "/assets/app.1a2b3c4d5e6f.css".
    pub fn url(&self, name: &str) -> Option<String> {
        self.hashed_of
            .get(name)
            .map(|hashed| format!("/assets/{hashed}"))
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// GET /assets/{name}
pub async fn serve_asset(
    req: HttpRequest,
    path: web::Path<String>,
    assets: web::Data<Assets>,
) -> HttpResponse {
    let Some(asset) = assets.by_hashed.get(path.as_str()) else {
        return HttpResponse::NotFound()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("not found");
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == asset.etag));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ETAG, asset.etag.clone()));
    if matches {
        return response.finish();
    }
    response
        .content_type(asset.content_type)
        .body(asset.bytes.clone())
}
