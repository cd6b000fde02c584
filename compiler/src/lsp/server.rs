//! The server loop: frames are read on their own thread (so that changes typed in a burst are
//! analysed once, after the last), every request is answered, and diagnostics are published for
//! every file of a schema each time it is analysed again.
//! In: a reader and a writer. Out: the process exit code (0 after `shutdown` then `exit`).

use std::io::{BufReader, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use lsp_server::{ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionOrCommand, CodeActionProviderCapability, CompletionOptions, CompletionResponse,
    DocumentSymbolResponse, GotoDefinitionResponse, Hover, HoverContents, HoverProviderCapability,
    InitializeResult, Location, MarkupContent, MarkupKind, OneOf, PublishDiagnosticsParams,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit,
    Url,
};
use serde_json::Value;

use super::diagnostics::{self, location};
use super::position::LineIndex;
use super::transport::{self, Incoming};
use super::workspace::{Analysis, Workspace};
use super::{actions, completion, hover, rename, symbols};

/// Serves one client until `exit` or the end of the input; returns the exit code.
pub fn serve(input: impl Read + Send + 'static, mut output: impl Write) -> u8 {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut input = BufReader::new(input);
        while let Some(incoming) = transport::read(&mut input) {
            if sender.send(incoming).is_err() {
                break;
            }
        }
    });
    let mut server = Server {
        workspace: Workspace::default(),
        shutdown: false,
        out: Vec::new(),
    };
    loop {
        let Ok(first) = receiver.recv() else {
            return u8::from(!server.shutdown);
        };
        let mut batch = vec![first];
        batch.extend(receiver.try_iter());
        for incoming in batch {
            if let Some(code) = server.handle(incoming) {
                server.flush(&mut output);
                return code;
            }
        }
        server.publish();
        if !server.flush(&mut output) {
            return 1;
        }
    }
}

struct Server {
    workspace: Workspace,
    shutdown: bool,
    /// Messages waiting to be written.
    out: Vec<Message>,
}

impl Server {
    fn flush(&mut self, output: &mut impl Write) -> bool {
        for message in self.out.drain(..) {
            if message.write(output).is_err() {
                return false;
            }
        }
        output.flush().is_ok()
    }

    /// Handles one frame; `Some(code)` when the server must exit.
    fn handle(&mut self, incoming: Incoming) -> Option<u8> {
        match incoming {
            Incoming::Malformed(why) => {
                // JSON-RPC 2.0: a message that cannot be parsed is answered with id null.
                let error = serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": null,
                    "error": { "code": ErrorCode::ParseError as i32, "message": why },
                });
                if let Ok(message) = serde_json::from_value::<Message>(error.clone()) {
                    self.out.push(message);
                } else {
                    self.out.push(Message::Notification(Notification::new(
                        "window/logMessage".into(),
                        serde_json::json!({ "type": 1, "message": why }),
                    )));
                }
                None
            }
            Incoming::Message(Message::Request(request)) => {
                self.publish();
                let id = request.id.clone();
                let response = catch_unwind(AssertUnwindSafe(|| self.request(request)))
                    .unwrap_or_else(|_| {
                        Err((ErrorCode::InternalError, "the request failed".to_string()))
                    });
                self.out.push(Message::Response(match response {
                    Ok(value) => Response {
                        id,
                        result: Some(value),
                        error: None,
                    },
                    Err((code, message)) => Response::new_err(id, code as i32, message),
                }));
                None
            }
            Incoming::Message(Message::Notification(notification)) => {
                if notification.method == note::Exit::METHOD {
                    return Some(u8::from(!self.shutdown));
                }
                let _ = catch_unwind(AssertUnwindSafe(|| self.notification(notification)));
                None
            }
            Incoming::Message(Message::Response(_)) => None,
        }
    }

    /// Analyses what changed and publishes its diagnostics.
    fn publish(&mut self) {
        for (root, before) in self.workspace.refresh() {
            let mut published: Vec<PathBuf> = Vec::new();
            if let Some(analysis) = self.workspace.analysis(&root) {
                for (path, list) in diagnostics::by_file(analysis) {
                    push_diagnostics(&mut self.out, &path, list);
                    published.push(path);
                }
            }
            for path in before {
                if !published.contains(&path) {
                    push_diagnostics(&mut self.out, &path, Vec::new());
                }
            }
        }
    }

    fn notification(&mut self, notification: Notification) {
        let params = notification.params;
        match notification.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                if let Ok(p) = parse::<lsp_types::DidOpenTextDocumentParams>(params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.workspace.set_text(path, p.text_document.text);
                    }
                }
            }
            note::DidChangeTextDocument::METHOD => {
                if let Ok(p) = parse::<lsp_types::DidChangeTextDocumentParams>(params) {
                    let Some(path) = path_of(&p.text_document.uri) else {
                        return;
                    };
                    let mut text = self.workspace.open.get(&path).cloned().unwrap_or_default();
                    for change in p.content_changes {
                        match change.range {
                            None => text = change.text,
                            Some(range) => {
                                let lines = LineIndex::new(&text);
                                if let (Some(start), Some(end)) = (
                                    lines.offset(&text, range.start),
                                    lines.offset(&text, range.end),
                                ) {
                                    if start <= end {
                                        text.replace_range(start..end, &change.text);
                                    }
                                }
                            }
                        }
                    }
                    self.workspace.set_text(path, text);
                }
            }
            note::DidCloseTextDocument::METHOD => {
                if let Ok(p) = parse::<lsp_types::DidCloseTextDocumentParams>(params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.workspace.close(&path);
                    }
                }
            }
            note::DidSaveTextDocument::METHOD => {
                if let Ok(p) = parse::<lsp_types::DidSaveTextDocumentParams>(params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.workspace.touched(&path);
                    }
                }
            }
            note::DidChangeWatchedFiles::METHOD => {
                if let Ok(p) = parse::<lsp_types::DidChangeWatchedFilesParams>(params) {
                    for change in p.changes {
                        if let Some(path) = path_of(&change.uri) {
                            self.workspace.touched(&path);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, request: Request) -> Answer {
        let params = request.params;
        match request.method.as_str() {
            req::Initialize::METHOD => self.initialize(params),
            req::Shutdown::METHOD => self.shut_down(params),
            req::HoverRequest::METHOD => self.hover(params),
            req::GotoDefinition::METHOD => self.definition(params),
            req::References::METHOD => self.references(params),
            req::Completion::METHOD => self.completion(params),
            req::DocumentSymbolRequest::METHOD => self.document_symbols(params),
            req::Formatting::METHOD => self.formatting(params),
            req::Rename::METHOD => self.rename(params),
            req::CodeActionRequest::METHOD => self.code_actions(params),
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("`{}` is not supported", request.method),
            )),
        }
    }

    /// The workspace root: the first folder, else the root URI.
    fn initialize(&mut self, params: Value) -> Answer {
        let p: lsp_types::InitializeParams = parse(params)?;
        #[allow(deprecated)]
        let root = p
            .workspace_folders
            .as_ref()
            .and_then(|folders| folders.first())
            .and_then(|folder| path_of(&folder.uri))
            .or_else(|| p.root_uri.as_ref().and_then(path_of));
        self.workspace = Workspace::new(root);
        json(serde_json::to_value(initialize_result()))
    }

    /// The client will exit next.
    fn shut_down(&mut self, _params: Value) -> Answer {
        self.shutdown = true;
        Ok(Value::Null)
    }

    /// What the name under the cursor is.
    fn hover(&mut self, params: Value) -> Answer {
        let p: lsp_types::HoverParams = parse(params)?;
        let Some((analysis, file, offset)) = self.at(&p.text_document_position_params) else {
            return Ok(Value::Null);
        };
        let Some(occurrence) = analysis.index().at(file, offset as u32) else {
            return Ok(Value::Null);
        };
        let text = hover::hover(analysis, &occurrence.symbol, !occurrence.definition);
        json(serde_json::to_value(text.map(|value| Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }),
            range: Some(diagnostics::range(analysis, occurrence.span)),
        })))
    }

    /// Where the name under the cursor is defined.
    fn definition(&mut self, params: Value) -> Answer {
        let p: lsp_types::GotoDefinitionParams = parse(params)?;
        let Some((analysis, file, offset)) = self.at(&p.text_document_position_params) else {
            return Ok(Value::Null);
        };
        let index = analysis.index();
        let Some(occurrence) = index.at(file, offset as u32) else {
            return Ok(Value::Null);
        };
        let locations: Vec<Location> = index
            .of(&occurrence.symbol)
            .filter(|o| o.definition)
            .filter_map(|o| location(analysis, o.span))
            .collect();
        json(serde_json::to_value(
            (!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations)),
        ))
    }

    /// Every use of the name under the cursor.
    fn references(&mut self, params: Value) -> Answer {
        let p: lsp_types::ReferenceParams = parse(params)?;
        let Some((analysis, file, offset)) = self.at(&p.text_document_position) else {
            return Ok(Value::Null);
        };
        let index = analysis.index();
        let Some(occurrence) = index.at(file, offset as u32) else {
            return Ok(Value::Null);
        };
        let locations: Vec<Location> = index
            .of(&occurrence.symbol)
            .filter(|o| p.context.include_declaration || !o.definition)
            .filter_map(|o| location(analysis, o.span))
            .collect();
        json(serde_json::to_value(locations))
    }

    /// Keywords and names that fit at the cursor.
    fn completion(&mut self, params: Value) -> Answer {
        let p: lsp_types::CompletionParams = parse(params)?;
        let Some((analysis, file, offset)) = self.at(&p.text_document_position) else {
            return Ok(Value::Null);
        };
        let Some(source) = analysis.file(file) else {
            return Ok(Value::Null);
        };
        let items = completion::complete(analysis, analysis.index(), source, offset);
        json(serde_json::to_value(CompletionResponse::Array(items)))
    }

    /// The outline of a file.
    fn document_symbols(&mut self, params: Value) -> Answer {
        let p: lsp_types::DocumentSymbolParams = parse(params)?;
        let Some((analysis, file)) = self.file(&p.text_document.uri) else {
            return Ok(Value::Null);
        };
        let Some(tree) = analysis.syntax().iter().find(|t| t.file == file) else {
            return Ok(Value::Null);
        };
        json(serde_json::to_value(DocumentSymbolResponse::Nested(
            symbols::outline(analysis, tree),
        )))
    }

    /// The whole file, formatted (nothing for a file that does not parse).
    fn formatting(&mut self, params: Value) -> Answer {
        let p: lsp_types::DocumentFormattingParams = parse(params)?;
        let Some((analysis, file)) = self.file(&p.text_document.uri) else {
            return Ok(Value::Null);
        };
        let Some(source) = analysis.file(file) else {
            return Ok(Value::Null);
        };
        match crate::syntax::fmt::format(source) {
            Ok(formatted) if formatted == source.text => {
                json(serde_json::to_value(Vec::<TextEdit>::new()))
            }
            Ok(formatted) => {
                let lines = LineIndex::new(&source.text);
                let whole = lines.range(&source.text, 0, source.text.len());
                json(serde_json::to_value(vec![TextEdit::new(whole, formatted)]))
            }
            // A file that does not parse is not formatted; its diagnostics say why.
            Err(_) => Ok(Value::Null),
        }
    }

    /// Renames the name under the cursor everywhere, with `renamed from` where the database needs it.
    fn rename(&mut self, params: Value) -> Answer {
        let p: lsp_types::RenameParams = parse(params)?;
        let Some((analysis, file, offset)) = self.at(&p.text_document_position) else {
            return Ok(Value::Null);
        };
        let index = analysis.index();
        let Some(occurrence) = index.at(file, offset as u32) else {
            return Err((ErrorCode::InvalidParams, "nothing to rename here".into()));
        };
        let edit = rename::rename(analysis, index, &occurrence.symbol, &p.new_name)
            .map_err(|message| (ErrorCode::InvalidParams, message))?;
        json(serde_json::to_value(edit))
    }

    /// Fixes for the diagnostics in the range.
    fn code_actions(&mut self, params: Value) -> Answer {
        let p: lsp_types::CodeActionParams = parse(params)?;
        let Some((analysis, file)) = self.file(&p.text_document.uri) else {
            return Ok(Value::Null);
        };
        let (Some(source), Some(lines)) = (analysis.file(file), analysis.lines(file)) else {
            return Ok(Value::Null);
        };
        let start = lines
            .offset(&source.text, p.range.start)
            .unwrap_or(source.text.len());
        let end = lines
            .offset(&source.text, p.range.end)
            .unwrap_or(source.text.len());
        let list: Vec<CodeActionOrCommand> =
            actions::actions(analysis, source, start as u32, end as u32)
                .into_iter()
                .map(CodeActionOrCommand::CodeAction)
                .collect();
        json(serde_json::to_value(list))
    }

    fn file(&self, uri: &Url) -> Option<(&Analysis, crate::source::FileId)> {
        let path = path_of(uri)?;
        let analysis = self.workspace.analysis_of(&path)?;
        let file = analysis.file_by_path(&path)?.id;
        Some((analysis, file))
    }

    /// The analysis, file and byte offset of a position; `None` past the end of the file.
    fn at(
        &self,
        position: &lsp_types::TextDocumentPositionParams,
    ) -> Option<(&Analysis, crate::source::FileId, usize)> {
        let (analysis, file) = self.file(&position.text_document.uri)?;
        let source = analysis.file(file)?;
        let offset = analysis
            .lines(file)?
            .offset(&source.text, position.position)?;
        Some((analysis, file, offset))
    }
}

fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec!["(".into(), " ".into(), ",".into()]),
                ..CompletionOptions::default()
            }),
            document_symbol_provider: Some(OneOf::Left(true)),
            document_formatting_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Left(true)),
            code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "schemac".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    }
}

fn push_diagnostics(out: &mut Vec<Message>, path: &Path, diagnostics: Vec<lsp_types::Diagnostic>) {
    let Ok(uri) = Url::from_file_path(path) else {
        return;
    };
    out.push(Message::Notification(Notification::new(
        note::PublishDiagnostics::METHOD.into(),
        PublishDiagnosticsParams::new(uri, diagnostics, None),
    )));
}

fn path_of(uri: &Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    uri.to_file_path().ok()
}

/// A request's result, or the error code and message to answer with.
type Answer = Result<Value, (ErrorCode, String)>;

/// A result as JSON; serialising a response type does not fail, but if it did the client hears.
fn json(value: Result<Value, serde_json::Error>) -> Answer {
    value.map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}
