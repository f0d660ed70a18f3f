#!/usr/bin/python3
"""The dashboard in a real headless Chromium (python3-selenium): rows
appear, Restart gives a new pid without a page reload, a kill -9 shows as a
restart count change live, the charts draw. A screenshot is saved under the
build directory (web-dashboard.png)."""

import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, Skip, ensure_sandbox, run, wait_for  # noqa: E402
from web_helpers import Web, first_pid  # noqa: E402

ensure_sandbox()


def browser(env):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise Skip('python3-selenium is not installed')
    chromium = shutil.which('chromium')
    driver_path = shutil.which('chromedriver')
    if not chromium or not driver_path:
        raise Skip('chromium and chromium-driver are not installed')
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                '--window-size=1280,900', '--user-data-dir=' + env.path('chromium-profile'),
                '--no-first-run', '--disable-extensions'):
        options.add_argument(arg)
    service = Service(executable_path=driver_path, log_path=env.path('chromedriver.log'))
    driver = webdriver.Chrome(service=service, options=options)
    env.add_cleanup(driver.quit)
    return driver


def cell(driver, uid, name):
    # Read in one script call: the live table re-renders rows, so an element
    # found by one WebDriver call can be stale by the next (.text).
    return driver.execute_script(
        'const c = document.querySelector(arguments[0]);'
        'return c ? c.innerText.trim() : null;',
        'tr[data-uid="%s"] td.%s' % (uid, name))


def texts(driver, selector):
    """innerText of every element matching selector, read in one call."""
    return driver.execute_script(
        'return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText);',
        selector)


def test_dashboard_live_in_chromium():
    with Env(journal=True) as env:
        env.start_daemon(extra_args=['--sample-interval', '500'])
        for uid in ('api', 'worker'):
            env.ctl('start', '--uid', uid, env.fixture('forever_app.js'))
            wait_for(lambda: first_pid(env, uid), what=uid + ' running')
        web = Web(env)
        driver = browser(env)
        from selenium.webdriver.common.by import By
        driver.get(web.url)
        wait_for(lambda: cell(driver, 'api', 'pid') == str(first_pid(env, 'api')), timeout=15,
                 interval=0.1, what='rows with the pids')
        assert cell(driver, 'worker', 'state') == 'running'
        driver.execute_script('window.__sameDocument = 42;')

        old = first_pid(env, 'api')
        # Found and clicked in one script call: the live table re-renders its
        # rows at every event, and a WebDriver element found before a
        # re-render is stale by the click (seen under ASan's slower pace).
        driver.execute_script('document.querySelector(arguments[0]).click();',
                              'tr[data-uid="api"] button[data-action="restart"]')
        new = wait_for(lambda: first_pid(env, 'api') not in (None, old) and first_pid(env, 'api'),
                       timeout=20, what='api restarted')
        wait_for(lambda: cell(driver, 'api', 'pid') == str(new), timeout=10, interval=0.1,
                 what='the new pid on the page')
        # api is selected (the first row): its log tail follows the journal,
        # so the new run's first line shows up without a reload.
        wait_for(lambda: 'started %d' % new in ''.join(texts(driver, '#log')),
                 timeout=10, interval=0.1, what='the new run\'s line in the log tail')

        before = int(cell(driver, 'worker', 'restarts'))
        os.kill(first_pid(env, 'worker'), signal.SIGKILL)
        wait_for(lambda: int(cell(driver, 'worker', 'restarts')) > before, timeout=15,
                 interval=0.1, what='restart count updated live')
        wait_for(lambda: texts(driver, '#crashes li'), timeout=5, what='the crash listed')
        crashes = texts(driver, '#crashes li')
        # The kill is a crash; the Restart click was not.
        assert any(' worker: killed by SIGKILL' in c for c in crashes), crashes
        assert not any(' api:' in c for c in crashes), crashes

        def points(chart):
            text = driver.execute_script(
                'const p = document.querySelector(arguments[0]);'
                'return p ? p.getAttribute("points") : null;', '#%s polyline' % chart)
            return len(text.split()) if text else 0
        wait_for(lambda: points('mem-chart') >= 2 and points('cpu-chart') >= 2, timeout=15,
                 interval=0.2, what='charts drawn')
        assert driver.execute_script('return window.__sameDocument;') == 42, 'the page reloaded'
        assert 'live' in driver.find_element(By.ID, 'status').text

        out = os.path.join(os.environ.get('FOREVER_BUILD_DIR', env.dir), 'web-dashboard.png')
        driver.save_screenshot(out)
        print('screenshot:', out)


if __name__ == '__main__':
    sys.exit(run())
