//! What a screen answers when something goes wrong: the API's stable code and message,
//! as a small page (or a fragment for htmx), never a bare 500.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use ordo_api::error::ApiError;
use ordo_store::StoreError;

use crate::i18n::Lang;

/// A screen's error.
#[derive(Debug)]
pub enum ConsoleError {
    /// The API's error table decides the code and status.
    Api(ApiError),
    /// The user's role may not do this.
    Forbidden(Lang),
    /// A template failed to render: a bug.
    Render(askama::Error),
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl From<askama::Error> for ConsoleError {
    fn from(error: askama::Error) -> Self {
        Self::Render(error)
    }
}

impl From<StoreError> for ConsoleError {
    fn from(error: StoreError) -> Self {
        Self::Api(error.into())
    }
}

impl From<ordo_app::users::UserError> for ConsoleError {
    fn from(error: ordo_app::users::UserError) -> Self {
        match error {
            ordo_app::users::UserError::Invalid(message) => Self::Api(ApiError::InvalidParameter {
                parameter: "user".into(),
                message,
            }),
            ordo_app::users::UserError::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::Api(error) => {
                let (code, status) = error.code_and_status();
                (status, code.to_owned(), error.message())
            }
            Self::Forbidden(lang) => (
                StatusCode::FORBIDDEN,
                "forbidden".to_owned(),
                lang.t("not_permitted").to_owned(),
            ),
            Self::Render(e) => {
                tracing::error!(error = %e, "console template failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal".to_owned(),
                    "page failed to render".to_owned(),
                )
            }
        };
        let body = format!(
            "<div class=\"error\" role=\"alert\" data-code=\"{}\"><strong>{}</strong> {}</div>",
            escape(&code),
            escape(&code),
            escape(&message)
        );
        (status, Html(body)).into_response()
    }
}

/// HTML-escapes text placed outside a template.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
