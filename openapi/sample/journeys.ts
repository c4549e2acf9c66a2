/**
 * The main journeys of every role, driven through the typed client against a
 * running server in development mode (development login `dev:<name>`).
 *
 *   npm run build && API_BASE_URL=http://127.0.0.1:8080 SAMPLE_SECRETARIAT=admin npm run sample
 *
 * `SAMPLE_SECRETARIAT` names a member already holding the secretariat role
 * (`association grant-role --openid dev:<name> --role secretariat` on the
 * server's database). `SAMPLE_TRANSPORT=wx` runs the same journeys through
 * the `wx.request` transport, with `fetch`, `Request`, `Response`, `Headers`
 * and `FormData` removed from the runtime as in a mini-program, and a
 * stand-in `wx` over node:http.
 *
 * Prints each step; exits 1 on the first unexpected answer.
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
    ApiError,
    createApiClient,
    fetchTransport,
    isProblem,
    wxTransport,
    wxUpload,
    type ApiClient,
    type ErrorCode,
    type Problem,
    type Result,
    type Schemas,
    type Transport,
    type Wx,
} from "../client/index.js";
import { nodeWx } from "./node-wx.js";

const BASE = (process.env["API_BASE_URL"] ?? "http://127.0.0.1:8080").replace(/\/$/, "");
const SECRETARIAT = process.env["SAMPLE_SECRETARIAT"] ?? "admin";
const MODE = process.env["SAMPLE_TRANSPORT"] ?? "fetch";
/** Keeps the names of this run apart from earlier runs on the same database. */
const RUN = Date.now().toString(36).slice(-6);

// ------------------------------------------------------------ the harness

let stepNo = 0;

class Unexpected extends Error {}

/** Runs one step; prints it; ends the process on the first failure. */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
    stepNo += 1;
    const label = `${String(stepNo).padStart(2, "0")} ${what}`;
    try {
        const out = await run();
        console.log(`ok   ${label}`);
        return out;
    } catch (e) {
        console.log(`FAIL ${label}`);
        console.log(`     ${e instanceof Error ? e.message : String(e)}`);
        if (e instanceof ApiError && e.problem !== undefined) {
            console.log(`     problem: ${JSON.stringify(e.problem)}`);
        }
        process.exit(1);
    }
}

function check(condition: boolean, message: string): asserts condition {
    if (!condition) {
        throw new Unexpected(message);
    }
}

/** The body of an answer with exactly this status. */
function expectStatus<R extends Result>(result: R, status: number): NonNullable<R["data"]> {
    const got = result.response.status;
    const data = result.data;
    if (result.error === undefined && got === status && data !== undefined && data !== null) {
        return data;
    }
    const body: unknown = result.error ?? data;
    throw new Unexpected(`expected ${status}, got ${got}: ${JSON.stringify(body)}`);
}

/** The problem of an answer with this status and code. */
function expectProblem(result: Result, status: number, code: ErrorCode): Problem {
    const got = result.response.status;
    const body: unknown = result.error ?? result.data;
    check(got === status, `expected ${status} ${code}, got ${got}: ${JSON.stringify(body)}`);
    check(
        (result.response.headers.get("content-type") ?? "").startsWith("application/problem+json"),
        `expected application/problem+json, got ${result.response.headers.get("content-type")}`,
    );
    check(isProblem(body), `expected a problem, got ${JSON.stringify(body)}`);
    check(body.code === code, `expected code ${code}, got ${body.code}`);
    return body;
}

function header(result: { response: Response }, name: string): string {
    const v = result.response.headers.get(name);
    check(v !== null && v !== "", `missing header ${name}`);
    return v;
}

// ------------------------------------------------------ transport and files

if (MODE !== "fetch" && MODE !== "wx") {
    console.error(`SAMPLE_TRANSPORT must be fetch or wx, not ${MODE}`);
    process.exit(2);
}

const fakeWx: Wx | undefined = MODE === "wx" ? nodeWx() : undefined;
if (fakeWx !== undefined) {
    // As in a mini-program: none of these exist there.
    for (const name of ["fetch", "Request", "Response", "Headers", "FormData", "Blob"]) {
        Reflect.deleteProperty(globalThis, name);
    }
}

function transport(): Transport {
    return fakeWx !== undefined ? wxTransport(fakeWx) : fetchTransport();
}

/** A member's client: the token is read on every request. */
interface Member {
    name: string;
    id: number;
    api: ApiClient;
    token: string;
}

const anonymous = createApiClient({ baseUrl: BASE, transport: transport() });

async function login(name: string): Promise<Member> {
    const tokens = expectStatus(
        await anonymous.POST("/api/v1/auth/wechat/login", { body: { code: `dev:${name}` } }),
        200,
    );
    check(tokens.token_type === "Bearer", `token_type ${tokens.token_type}`);
    const member: Member = {
        name,
        id: tokens.member.id,
        token: tokens.access_token,
        api: createApiClient({ baseUrl: BASE, transport: transport(), accessToken: () => member.token }),
    };
    return member;
}

const files = mkdtempSync(join(tmpdir(), "association-sample-"));

/** A 1×1 PNG, a small JPEG and a one-page PDF (attachments are checked by content). */
const PNG = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC",
    "base64",
);
const JPEG = Buffer.from(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAA//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AN//Z",
    "base64",
);
const PDF = Buffer.from(
    "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
);

type AttachmentKind = Schemas["AttachmentKind"];

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/**
 * Uploads one attachment: a multipart body through openapi-fetch (the file
 * goes in a FormData built by the body serializer), or `wx.uploadFile` in a
 * mini-program.
 */
async function upload(
    who: Member,
    nominationId: number,
    kind: AttachmentKind,
    fileName: string,
    type: string,
    bytes: Buffer,
): Promise<Schemas["AttachmentView"]> {
    if (fakeWx !== undefined) {
        const path = join(files, fileName);
        writeFileSync(path, bytes);
        const response = await wxUpload(fakeWx, {
            url: `${BASE}/api/v1/nominations/${nominationId}/attachments`,
            filePath: path,
            name: "file",
            formData: { kind },
            header: { authorization: `Bearer ${who.token}` },
        });
        const text = await response.text();
        check(response.status === 201, `expected 201, got ${response.status}: ${text}`);
        const view: unknown = JSON.parse(text);
        check(isAttachmentView(view), `not an attachment: ${text}`);
        return view;
    }
    const blob = new Blob([new Uint8Array(bytes)], { type });
    return expectStatus(
        await who.api.POST("/api/v1/nominations/{id}/attachments", {
            params: { path: { id: nominationId } },
            body: { kind, file: fileName },
            bodySerializer(body) {
                const form = new FormData();
                form.append("kind", body.kind);
                form.append("file", blob, body.file);
                return form;
            },
        }),
        201,
    );
}

/** wx.uploadFile hands over text: read the answer back. */
function isAttachmentView(v: unknown): v is Schemas["AttachmentView"] {
    return typeof v === "object" && v !== null && "id" in v && typeof v.id === "number" && "kind" in v;
}

// -------------------------------------------------- a page of the article

/** Serves one article page on 127.0.0.1 (the source allows the private network). */
function articleSite(title: string, published: string, column: string): Promise<{ host: string; close: () => void }> {
    const page = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${title}-四川省高校后勤协会</title></head><body>
<div class="position"><span>当前位置：</span><a href="/">首页</a> &gt; <a href="/list/1.html">${column}</a> &gt; 正文</div>
<div class="article"><h1 class="article-title">${title}</h1>
<div class="info">发布时间：${published}&nbsp;&nbsp;来源：学校后勤</div>
<div class="article-content"><p>${"学校后勤保障部开展冬季食品安全专项检查，检查组深入各校区学生食堂。".repeat(4)}</p></div></div></body></html>`;
    const server = http.createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(page);
    });
    return new Promise((resolve) => {
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            const port = typeof address === "object" && address !== null ? address.port : 0;
            resolve({ host: `127.0.0.1:${port}`, close: () => server.close() });
        });
    });
}

/** An instant `days` from now, RFC 3339 in China time. */
function chinaTime(days: number): string {
    const t = new Date(Date.now() + days * 86_400_000 + 8 * 3_600_000);
    return `${t.toISOString().slice(0, 19)}+08:00`;
}

// ------------------------------------------------------------ the journeys

async function main(): Promise<void> {
    console.log(`journeys against ${BASE} over ${MODE === "wx" ? "wx.request" : "fetch"} (run ${RUN})`);
    // The article appeared yesterday (China time); its year is the credit year.
    const yesterday = new Date(Date.now() + 8 * 3_600_000 - 86_400_000);
    const year = yesterday.getUTCFullYear();

    // --- the secretariat sets up the organisation
    const admin = await step(`secretariat logs in (dev:${SECRETARIAT})`, async () => {
        const m = await login(SECRETARIAT);
        const me = expectStatus(await m.api.GET("/api/v1/me"), 200);
        check(
            me.roles.some((r) => r.role === "secretariat"),
            `dev:${SECRETARIAT} is not secretariat: run grant-role first`,
        );
        return m;
    });

    const district = await step("secretariat creates a district", async () =>
        expectStatus(await admin.api.POST("/api/v1/districts", { body: { name: `样例片区${RUN}` } }), 201),
    );

    const school = await step("secretariat creates a school in it", async () =>
        expectStatus(
            await admin.api.POST("/api/v1/schools", { body: { name: `样例大学${RUN}`, district_id: district.id } }),
            201,
        ),
    );

    const published = `${yesterday.toISOString().slice(0, 10)} 09:30`;
    const title = `样例大学开展冬季食品安全专项检查${RUN}`;
    const site = await articleSite(title, published, "学校后勤动态");
    const source = await step("secretariat configures a source (official site)", async () =>
        expectStatus(
            await admin.api.POST("/api/v1/sources", {
                body: {
                    name: `样例官网${RUN}`,
                    kind: "official",
                    hosts: [site.host],
                    columns: ["学校后勤动态", "协会新闻"],
                    years: [],
                    allow_private_network: true,
                },
            }),
            201,
        ),
    );

    const writerInvite = await step("secretariat invites a correspondent of the school", async () =>
        expectStatus(
            await admin.api.POST("/api/v1/invitations", {
                body: { role: "correspondent", school_id: school.id, expires_at: chinaTime(1), max_uses: 1 },
            }),
            201,
        ),
    );

    const leadInvite = await step("secretariat invites a district lead", async () =>
        expectStatus(
            await admin.api.POST("/api/v1/invitations", {
                body: { role: "district_lead", district_id: district.id, expires_at: chinaTime(1) },
            }),
            201,
        ),
    );

    // --- a correspondent joins and submits an article
    const writer = await step("correspondent logs in and redeems the invitation", async () => {
        const m = await login(`sample-writer-${RUN}`);
        expectStatus(await m.api.POST("/api/v1/me/invitations/redeem", { body: { code: writerInvite.code } }), 200);
        const me = expectStatus(await m.api.GET("/api/v1/me"), 200);
        check(
            me.roles.some((r) => r.role === "correspondent" && r.school?.id === school.id),
            `roles: ${JSON.stringify(me.roles)}`,
        );
        return m;
    });

    await step("a correspondent may not create districts (403 FORBIDDEN)", async () => {
        expectProblem(await writer.api.POST("/api/v1/districts", { body: { name: `越权${RUN}` } }), 403, "FORBIDDEN");
    });

    const url = `http://${site.host}/news/${RUN}.html?utm_source=wechat`;
    const key = randomUUID();
    const article = await step("correspondent submits the article (Idempotency-Key)", async () => {
        const a = expectStatus(
            await writer.api.POST("/api/v1/articles", {
                params: { header: { "Idempotency-Key": key } },
                body: { url, first_author_member_id: writer.id, declared_original: true },
            }),
            201,
        );
        check(a.canonical_url === `http://${site.host}/news/${RUN}.html`, `canonical ${a.canonical_url}`);
        check(a.source.id === source.id, `source ${a.source.id}`);
        return a;
    });

    await step("a retry with the same key answers the first article", async () => {
        const again = await writer.api.POST("/api/v1/articles", {
            params: { header: { "Idempotency-Key": key } },
            body: { url, first_author_member_id: writer.id, declared_original: true },
        });
        const a = expectStatus(again, 201);
        check(a.id === article.id, `a second article ${a.id}`);
        check(header(again, "idempotent-replayed") === "true", "Idempotent-Replayed");
    });

    await step("the same link again is 409 DUPLICATE_ARTICLE naming the first", async () => {
        const p = expectProblem(
            await writer.api.POST("/api/v1/articles", {
                body: { url: `http://${site.host}/news/${RUN}.html`, first_author_name: "张三", declared_original: true },
            }),
            409,
            "DUPLICATE_ARTICLE",
        );
        // The mini-program opens the first submission from the problem.
        const existing = p.existing_article_id;
        check(existing !== undefined, `existing_article_id ${JSON.stringify(p)}`);
        const first = expectStatus(
            await writer.api.GET("/api/v1/articles/{id}", { params: { path: { id: existing } } }),
            200,
        );
        check(first.id === article.id, `existing_article_id ${JSON.stringify(p)}`);
    });

    await step("a link of no source is 422 UNKNOWN_SOURCE listing the accepted sites", async () => {
        const p = expectProblem(
            await writer.api.POST("/api/v1/articles", {
                body: { url: `https://unknown-${RUN}.example.com/1.html`, first_author_name: "张三", declared_original: true },
            }),
            422,
            "UNKNOWN_SOURCE",
        );
        const sites: string[] = (p.accepted_sources ?? []).map((s) => s.name);
        check(sites.includes(source.name), `accepted_sources ${JSON.stringify(p)}`);
    });

    await step("the server verifies the page (title, date, column)", async () => {
        for (let i = 0; i < 100; i += 1) {
            const a = expectStatus(
                await writer.api.GET("/api/v1/articles/{id}", { params: { path: { id: article.id } } }),
                200,
            );
            if (a.verification.status !== "pending") {
                check(a.verification.status === "verified", `verification ${JSON.stringify(a.verification)}`);
                check(a.title === title, `title ${a.title}`);
                check(a.credit_year === year, `credit_year ${a.credit_year}`);
                return;
            }
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Unexpected("still pending after 10 s");
    });
    site.close();

    await step("correspondent lists their own articles (scope=mine)", async () => {
        const page = expectStatus(
            await writer.api.GET("/api/v1/articles", { params: { query: { scope: "mine", year } } }),
            200,
        );
        check(page.items.some((a) => a.id === article.id), "own article not listed");
    });

    // --- the secretariat reviews it
    await step("secretariat reads the review queue (scope=all, status=pending)", async () => {
        const page = expectStatus(
            await admin.api.GET("/api/v1/articles", {
                params: { query: { scope: "all", status: "pending", page_size: 100 } },
            }),
            200,
        );
        check(page.items.some((a) => a.id === article.id), "not in the review queue");
    });

    await step("secretariat approves the article: 1 site point", async () => {
        const a = expectStatus(
            await admin.api.POST("/api/v1/articles/{id}/review", {
                params: { path: { id: article.id } },
                body: { decision: "approve" },
            }),
            200,
        );
        check(a.status === "approved", `status ${a.status}`);
        check(a.points.site === 1 && a.points.bonus === 0, `points ${JSON.stringify(a.points)}`);
    });

    await step("the correspondent's inbox tells of the approval, unread, then read", async () => {
        const page = expectStatus(
            await writer.api.GET("/api/v1/me/notifications", { params: { query: { unread: true } } }),
            200,
        );
        const told = page.items.find((n) => n.event === "article.reviewed" && n.entity_id === article.id);
        check(told !== undefined, `events ${page.items.map((n) => n.event).join(", ")}`);
        check(!told.read, "already read");
        const before = expectStatus(await writer.api.GET("/api/v1/me/notifications/unread-count"), 200);
        const read = expectStatus(
            await writer.api.POST("/api/v1/me/notifications/{id}/read", { params: { path: { id: told.id } } }),
            200,
        );
        check(read.read, "not marked read");
        const after = expectStatus(await writer.api.GET("/api/v1/me/notifications/unread-count"), 200);
        check(after.unread === before.unread - 1, `unread ${before.unread} then ${after.unread}`);
    });

    await step("the correspondent can no longer withdraw it (409 ARTICLE_ALREADY_REVIEWED)", async () => {
        expectProblem(
            await writer.api.DELETE("/api/v1/articles/{id}", { params: { path: { id: article.id } } }),
            409,
            "ARTICLE_ALREADY_REVIEWED",
        );
    });

    // --- standings
    await step(`standings of the schools for ${year} show the school's point`, async () => {
        let token: string | undefined;
        for (;;) {
            const page = expectStatus(
                await writer.api.GET("/api/v1/credit-years/{year}/standings", {
                    params: {
                        path: { year },
                        query: token === undefined ? { scope: "schools", page_size: 100 } : { scope: "schools", page_size: 100, page_token: token },
                    },
                }),
                200,
            );
            const row = page.items.find((r) => r.school?.id === school.id);
            if (row !== undefined) {
                check(row.site_points === 1, `row ${JSON.stringify(row)}`);
                return;
            }
            if (page.next_page_token === undefined || page.next_page_token === null) {
                throw new Unexpected("the school is not in the standings");
            }
            token = page.next_page_token;
        }
    });

    await step("secretariat downloads standings.xlsx", async () => {
        const res = await admin.api.GET("/api/v1/credit-years/{year}/standings.xlsx", {
            params: { path: { year } },
            // Accept tells the wx.request transport to ask for an ArrayBuffer.
            headers: { Accept: XLSX },
            parseAs: "arrayBuffer",
        });
        const bytes = expectStatus(res, 200);
        check(new Uint8Array(bytes.slice(0, 2)).join() === "80,75", "not a zip (xlsx) file");
        check(header(res, "content-type").startsWith(XLSX), `content type ${res.response.headers.get("content-type")}`);
    });

    // --- a campaign
    const campaign = await step("secretariat opens a campaign (deadline in a week)", async () => {
        const c = expectStatus(
            await admin.api.POST("/api/v1/campaigns", {
                body: {
                    title: `${year}年度最美后勤人样例${RUN}`,
                    year,
                    deadline: chinaTime(7),
                    national_deadline: chinaTime(30),
                    contacts: [{ name: "郑云泽", role: "协会秘书处联系人", phone: "18583246978", email: "scgxhq88888@sina.com" }],
                    exclusions: [{ name: "李感动", unit: "四川大学", note: "往届感动人物" }],
                },
            }),
            201,
        );
        check(c.district_quota === 1 && c.association_quota === 2, `quotas ${c.district_quota}/${c.association_quota}`);
        return c;
    });

    await step("anyone reads the campaign with the server's clock", async () => {
        const c = expectStatus(
            await anonymous.GET("/api/v1/campaigns/{id}", { params: { path: { id: campaign.id } } }),
            200,
        );
        check(Date.parse(c.server_time) < Date.parse(c.deadline), `server_time ${c.server_time} deadline ${c.deadline}`);
    });

    // --- a district lead files a nomination
    const lead = await step("district lead logs in and redeems the invitation", async () => {
        const m = await login(`sample-lead-${RUN}`);
        expectStatus(await m.api.POST("/api/v1/me/invitations/redeem", { body: { code: leadInvite.code } }), 200);
        return m;
    });

    const draft = await step("district lead starts a draft (Idempotency-Key)", async () => {
        const res = await lead.api.POST("/api/v1/campaigns/{id}/nominations", {
            params: { path: { id: campaign.id }, header: { "Idempotency-Key": randomUUID() } },
            body: {
                kind: "person",
                form: { category: "敬业美", name: `王样例${RUN}`, gender: "女", ethnicity: "彝族", age: 45 },
            },
        });
        const n = expectStatus(res, 201);
        check(header(res, "etag") === n.etag, `ETag ${res.response.headers.get("etag")} vs ${n.etag}`);
        check(n.status === "draft", `status ${n.status}`);
        return n;
    });

    const edited = await step("district lead completes the form (If-Match)", async () => {
        const res = await lead.api.PATCH("/api/v1/nominations/{id}", {
            params: { path: { id: draft.id }, header: { "If-Match": draft.etag } },
            body: {
                form: {
                    political_status: "中共党员",
                    phone: "13812346978",
                    email: "nominee@example.com",
                    unit: school.name,
                    department: "后勤保障处饮食服务中心",
                    position: "主任／高级工程师",
                    frontline: true,
                    frontline_post: "饮食服务中心主任",
                    address: "四川省成都市武侯区一环路南一段24号",
                    postcode: "610065",
                    story: "她扎根后勤一线二十年，".repeat(32),
                    honours: [{ title: "四川省教育后勤先进个人", awarded_by: "四川省高校后勤协会", date: "2020-12-18", level: "省级" }],
                    unit_opinion: "同意推荐。",
                    consent: true,
                },
            },
        });
        const n = expectStatus(res, 200);
        check(n.etag !== draft.etag, "the ETag did not change");
        check(n.warnings.length === 0, `warnings ${JSON.stringify(n.warnings)}`);
        check(!n.ready_to_submit, "ready to submit before any upload");
        const scan = n.checklist.find((c) => c.key === "registration_scan");
        check(scan !== undefined && !scan.done, `checklist ${JSON.stringify(n.checklist)}`);
        return n;
    });

    const retyped = await step("a draft keeps the good fields of an edit and warns of the bad one", async () => {
        const res = await lead.api.PATCH("/api/v1/nominations/{id}", {
            params: { path: { id: draft.id }, header: { "If-Match": edited.etag } },
            body: { form: { age: "47", phone: "138 1234 697", postcode: "610064" } },
        });
        const n = expectStatus(res, 200);
        check(n.form.age === 47, `age ${n.form.age}`);
        check(n.form.postcode === "610064", `postcode ${n.form.postcode}`);
        check(n.form.phone === "13812346978", `the phone changed to ${n.form.phone}`);
        check(
            n.warnings.some((w) => w.pointer === "/form/phone"),
            `warnings ${JSON.stringify(n.warnings)}`,
        );
        return n;
    });

    await step("the lead's campaign read says filing is open for them and what the draft still needs", async () => {
        const c = expectStatus(
            await lead.api.GET("/api/v1/campaigns/{id}", { params: { path: { id: campaign.id } } }),
            200,
        );
        check(c.open_for_me === true, `open_for_me ${c.open_for_me}`);
        check(c.closes_for_me?.closes_at === c.deadline, `closes_for_me ${JSON.stringify(c.closes_for_me)}`);
        check(c.timeline[0]?.kind === "district_deadline", `timeline ${JSON.stringify(c.timeline)}`);
        const mine = c.my_nominations?.find((n) => n.id === draft.id);
        const scan = mine?.checklist.find((i) => i.key === "registration_scan");
        check(scan !== undefined && !scan.done, `my_nominations ${JSON.stringify(c.my_nominations)}`);
    });

    await step("an edit with the old ETag is 412 PRECONDITION_FAILED", async () => {
        expectProblem(
            await lead.api.PATCH("/api/v1/nominations/{id}", {
                params: { path: { id: draft.id }, header: { "If-Match": draft.etag } },
                body: { form: { age: 46 } },
            }),
            412,
            "PRECONDITION_FAILED",
        );
    });

    const photo = await step("district lead uploads the photo, a certificate and the stamped scan (multipart)", async () => {
        const photo = await upload(lead, draft.id, "photo", "照片.png", "image/png", PNG);
        check(photo.content_type === "image/png", `photo ${JSON.stringify(photo)}`);
        await upload(lead, draft.id, "certificate", "证书.pdf", "application/pdf", PDF);
        await upload(lead, draft.id, "registration_scan", "报名表.jpg", "image/jpeg", JPEG);
        return photo;
    });

    await step("the checklist is complete once the stamped scan is uploaded", async () => {
        const n = expectStatus(
            await lead.api.GET("/api/v1/nominations/{id}", { params: { path: { id: draft.id } } }),
            200,
        );
        check(n.ready_to_submit, `problems ${JSON.stringify(n.problems)}`);
        check(n.checklist.every((c) => c.done), `checklist ${JSON.stringify(n.checklist)}`);
    });

    await step("district lead reads the photo back, byte for byte", async () => {
        const res = await lead.api.GET("/api/v1/nominations/{id}/attachments/{attachment_id}", {
            params: { path: { id: draft.id, attachment_id: photo.id } },
            headers: { Accept: "image/png" },
            parseAs: "arrayBuffer",
        });
        const bytes = new Uint8Array(expectStatus(res, 200));
        check(Buffer.from(bytes).equals(PNG), `the photo came back different (${bytes.byteLength} bytes)`);
    });

    await step("district lead submits the nomination (Idempotency-Key)", async () => {
        const n = expectStatus(
            await lead.api.POST("/api/v1/nominations/{id}/submit", {
                params: { path: { id: draft.id }, header: { "Idempotency-Key": randomUUID() } },
            }),
            200,
        );
        check(n.status === "submitted", `status ${n.status}`);
        check(n.version > retyped.version, `version ${n.version}`);
    });

    await step("district lead downloads the filled form (form.docx)", async () => {
        const res = await lead.api.GET("/api/v1/nominations/{id}/form.docx", {
            params: { path: { id: draft.id } },
            headers: { Accept: DOCX },
            parseAs: "arrayBuffer",
        });
        check(new Uint8Array(expectStatus(res, 200).slice(0, 2)).join() === "80,75", "not a zip (docx) file");
        check(header(res, "content-type").startsWith(DOCX), `content type ${res.response.headers.get("content-type")}`);
    });

    // --- the secretariat reviews the nomination
    await step("secretariat lists the campaign's submitted nominations", async () => {
        const page = expectStatus(
            await admin.api.GET("/api/v1/campaigns/{id}/nominations", {
                params: { path: { id: campaign.id }, query: { status: "submitted" } },
            }),
            200,
        );
        check(page.items.some((n) => n.id === draft.id), "not listed");
    });

    await step("secretariat shortlists the nomination", async () => {
        const n = expectStatus(
            await admin.api.POST("/api/v1/nominations/{id}/review", {
                params: { path: { id: draft.id } },
                body: { decision: "shortlist" },
            }),
            200,
        );
        check(n.status === "shortlisted", `status ${n.status}`);
    });

    await step("secretariat forwards it to the national association", async () => {
        const f = expectStatus(
            await admin.api.POST("/api/v1/campaigns/{id}/forward", {
                params: { path: { id: campaign.id } },
                body: { nomination_ids: [draft.id] },
            }),
            200,
        );
        check(f.forwarded.some((n) => n.id === draft.id), `forwarded ${JSON.stringify(f)}`);
    });

    await step("the audit log shows the review", async () => {
        const page = expectStatus(
            await admin.api.GET("/api/v1/audit-log", {
                params: { query: { entity_type: "nomination", entity_id: String(draft.id) } },
            }),
            200,
        );
        check(page.items.some((e) => e.action === "nomination.review"), `actions ${page.items.map((e) => e.action).join(", ")}`);
    });

    console.log(`all ${stepNo} steps answered as expected`);
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
