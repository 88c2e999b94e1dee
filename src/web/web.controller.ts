import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { RendersPage } from '../common/http/security-headers.js';
import { Public } from '../common/request/public.decorator.js';

/** The page's own files, read once: `public/` beside `src/` and `dist/`. */
const PUBLIC = new URL('../../public/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, PUBLIC), 'utf8');

/** Scripts and styles from this origin only; no inline script or style, no framing. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

/** The account page at `/`, and the pages the mailed links open. */
@Public()
@ApiExcludeController()
@Controller({ version: VERSION_NEUTRAL })
export class WebController {
  private readonly html = read('index.html');
  private readonly js = read('app.js');
  private readonly mfaJs = read('mfa.js');
  private readonly css = read('app.css');
  private readonly passkeysJs = read('passkeys.js');
  private readonly identitiesJs = read('identities.js');

  @Get(['/', 'verify-email', 'reset-password', 'confirm-email'])
  @RendersPage()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PAGE_CSP)
  @Header('Cache-Control', 'no-store')
  page(): string {
    return this.html;
  }

  @Get('app.js')
  @RendersPage()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return this.js;
  }

  @Get('mfa.js')
  @RendersPage()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  mfaScript(): string {
    return this.mfaJs;
  }

  @Get('passkeys.js')
  @RendersPage()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  passkeysScript(): string {
    return this.passkeysJs;
  }

  @Get('identities.js')
  @RendersPage()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  identitiesScript(): string {
    return this.identitiesJs;
  }

  @Get('app.css')
  @RendersPage()
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  styles(): string {
    return this.css;
  }
}
