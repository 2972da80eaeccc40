import Foundation
import MultipartKit
import Vapor

/// A form refused for its CSRF token (the page was open from before a sign-in, or the session
/// changed in another tab) comes back as typed: the fields the person filled in, under the
/// session's current token, to be checked and sent again. Nothing of the refused request was
/// stored. A file cannot be handed back to a browser, so its field asks for it again.
enum ResubmitPage {
    struct Field: Encodable {
        var name: String
        var value: String
        /// What the person typed is shown under its label; the form's own fields stay hidden.
        var label: String?
        var visible: Bool
        /// A long value gets a text area.
        var long: Bool
    }

    /// The free-text fields of the system's forms, as their pages label them.
    static let labels: [String: String] = [
        "statement": "申诉理由", "evidence": "整改情况", "reason": "理由", "note": "验收意见", "notes": "备注",
        "narrative": "情况说明", "title": "标题", "intro": "导语", "body": "正文", "decisions": "会议决定",
        "attendees": "参会人员", "scenario": "模拟警情", "place": "地点", "owner": "整改责任人", "officers": "检查人员",
        "text": "通报内容", "emb_officers": "市应急管理局检查人员", "psb_officers": "市公安局检查人员",
    ]
    /// Secrets are never written back into a page.
    static let secrets: Set<String> = ["password", "current", "new", "confirm", "code"]

    struct Context: Encodable {
        var frame: PageFrame
        var action: String
        var message: String
        var fields: [Field]
        var files: [String]
        var hasFiles: Bool
        var multipart: Bool
        var token: String
    }

    /// The page, or nil when the body is no form this can read back.
    static func response(_ req: Request, token: String) async throws -> Response? {
        guard let type = req.headers.contentType, var body = req.body.data else { return nil }
        var fields: [Field] = [], files: [String] = []
        if type == .urlEncodedForm {
            let text = body.readString(length: body.readableBytes) ?? ""
            for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (s: Substring) in s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
                fields.append(field(decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
            }
        } else if type.type == "multipart", let boundary = type.parameters["boundary"] {
            let parser = MultipartParser(boundary: boundary)
            var headers = HTTPHeaders(), data = ByteBuffer()
            parser.onHeader = { headers.add(name: $0, value: $1) }
            parser.onBody = { data.writeBuffer(&$0) }
            parser.onPartComplete = {
                let part = MultipartPart(headers: headers, body: data)
                if let name = part.name {
                    if part.headers.first(name: "Content-Disposition")?.contains("filename=") == true {
                        files.append(name)
                    } else {
                        fields.append(field(name, String(buffer: part.body)))
                    }
                }
                headers = HTTPHeaders()
                data = ByteBuffer()
            }
            guard (try? parser.execute(body)) != nil else { return nil }
        } else {
            return nil
        }
        fields.removeAll { $0.name == CSRFMiddleware.field || secrets.contains($0.name) }
        let context = Context(frame: PageFrame(req, title: "请重新提交", active: ""), action: req.url.path, message: CSRFMiddleware.message,
                              fields: fields, files: files, hasFiles: !files.isEmpty, multipart: type.type == "multipart", token: token)
        return try await req.page("resubmit", context, status: .forbidden)
    }

    static func field(_ name: String, _ value: String) -> Field {
        Field(name: name, value: value, label: labels[name], visible: labels[name] != nil, long: value.count > 40 || value.contains("\n"))
    }
}
