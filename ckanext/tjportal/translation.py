"""The one gettext catalogue shared by every tjportal plugin."""
from __future__ import annotations

import os

from ckan.lib.plugins import DefaultTranslation

I18N_DIRECTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "i18n")
I18N_DOMAIN = "ckanext-tjportal"


class TjportalTranslation(DefaultTranslation):
    """ITranslation mixin that points every plugin at ``i18n/ckanext-tjportal``."""

    def i18n_directory(self) -> str:
        return I18N_DIRECTORY

    def i18n_domain(self) -> str:
        return I18N_DOMAIN


def N_(message: str) -> str:
    """Mark ``message`` for extraction into our catalogue and return it as is."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and plural message pair for extraction and return both."""
    return singular, plural


# Messages of CKAN 2.12's own templates that show on the portal's pages but
# have no translation in core's zh_Hans_CN catalogue. Listing them here puts
# them into our catalogue, whose translations CKAN merges over core's.
CORE_MESSAGES = (
    N_("Skip to main content"),
    N_("Breadcrumb"),
    N_("View dashboard"),
    N_("Profile settings"),
    N_("Account"),
    N_("Navigate to Home - {site_title}"),
    N_("Toggle navigation"),
    N_("Search Datasets..."),
    N_("Submit"),
    N_("CKAN Association"),
    N_("Search datasets with the tag: {tag}"),
    N_("Search datasets with the tag: {name}"),
    N_("close"),
    N_("Remove applied filter: {value}"),
    N_('<p id="search-error"><strong>There was an error while searching.</strong> Please try again.</p>'),
    N_("Filter by: {title}"),
    N_("Search datasets by {name}: {label}"),
    N_("Navigate to dataset: {title}"),
    N_("There is no description for this dataset."),
    N_("Navigate to resource: {name_or_id}"),
    N_("Navigate to resource: {name}"),
    N_("Manage resource: {name}"),
    N_("There are currently no groups for this site."),
    N_("0 Members"),
    N_("Open details page for {name}"),
    N_("Unlink {name} from the dataset"),
    N_("There is no description for this organization."),
    # Built from the dataset type name in package/search.html and
    # snippets/search_result_text.html, so no extractor finds them there.
    N_("Dataservice"),
    N_("Dataservices"),
    N_('No dataservices found for "{query}"'),
    N_("No dataservices found"),
    # The login, registration and user pages.
    N_("Username or Email"),
    N_("Login failed. Bad username or password or CAPTCHA."),
    N_("Create datasets, groups and other exciting things"),
    N_("Profile picture"),
    N_("Profile picture URL"),
    N_("Sysadmin password"),
    N_("Sysadmin Password"),
    N_('<strong>Powered by</strong> <a class="hide-text ckan-footer-logo" href="http://ckan.org">CKAN</a>'),
    N_("This information is visible to you and admins"),
    N_("Last Active"),
    N_("Token"),
    N_("Last access"),
    N_("Revoke tokens"),
    N_('You can use <a href="#markdown" title="Markdown quick reference" data-bs-toggle="popover" '
       'data-bs-content="%(markdown_tooltip)s" data-bs-html="true">Markdown formatting</a> here'),
    # A user's state, shown as _(user.state) on the user pages.
    N_("active"),
    N_("Activities"),
    # From core's email_validator, on /user/register and /developer/register.
    N_("Email {email} is not a valid format"),
)

# Core messages whose core translation the portal replaces: groups are the
# portal's topics (主题) and organizations its departments (部门), in Chinese
# and in English, and a few core Chinese translations are wrong.
RENAMED_CORE_MESSAGES = (
    N_("Group"),
    N_("Groups"),
    N_("Organization"),
    N_("Organizations"),
    N_("No groups found"),
    N_("No organizations found"),
    N_("Log in"),
    N_("Followers"),
    N_("Field"),
    N_("Value"),
    N_("Login"),
    N_("API Docs"),
    N_("News feed"),
    N_("You can also access this registry using the %(api_link)s (see %(api_doc_link)s)."),
    N_("Current Sysadmins"),
    N_("Promote user to Sysadmin"),
    N_("Promote"),
    N_("Revoke Sysadmin permission"),
    N_('<p>As a sysadmin user you have full control over this CKAN instance. Proceed with care!</p> '
       '<p>For guidance on using sysadmin features, see the CKAN <a href="%(docs_url)s" '
       'target="_blank" rel="noreferrer">sysadmin guide</a></p>'),
)

CORE_PLURAL_MESSAGES = (
    N_plural("{number} group found", "{number} groups found"),
    N_plural("{number} organization found", "{number} organizations found"),
    N_plural("{num} Member", "{num} Members"),
    N_plural('{number} dataservice found for "{query}"', '{number} dataservices found for "{query}"'),
    N_plural("{number} dataservice found", "{number} dataservices found"),
)
